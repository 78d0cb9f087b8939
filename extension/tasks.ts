// Ready-made build tasks ("Run Build Task" works out of the box): make, and CMake configure +
// build, each running through this window's cache server.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BundledPaths } from './bundledPaths';
import { taskEnvironment } from './terminalEnvironment';
import type { WorkspaceServer } from './workspaceServer';

export const TASK_TYPE = 'warmcc';

interface WarmccTaskDefinition extends vscode.TaskDefinition {
  kind: 'make' | 'cmake-configure' | 'cmake-build';
  target?: string;
  buildDirectory?: string;
}

const MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'];

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function commandLine(definition: WarmccTaskDefinition, paths: BundledPaths): string {
  const jobs = `-j${Math.max(1, os.cpus().length)}`;
  const buildDirectory = shellQuote(definition.buildDirectory ?? 'build');
  const configure = [
    'cmake',
    '-S',
    '.',
    '-B',
    buildDirectory,
    `-DCMAKE_C_COMPILER_LAUNCHER=${shellQuote(paths.client)}`,
    `-DCMAKE_CXX_COMPILER_LAUNCHER=${shellQuote(paths.client)}`,
  ].join(' ');
  switch (definition.kind) {
    case 'make':
      return ['make', jobs, ...(definition.target ? [shellQuote(definition.target)] : [])].join(' ');
    case 'cmake-configure':
      return configure;
    case 'cmake-build':
      // configure only when there is no build tree yet, like CMake Tools does
      return `{ [ -f ${buildDirectory}/CMakeCache.txt ] || ${configure}; } && cmake --build ${buildDirectory} ${jobs}`;
  }
}

function taskLabel(definition: WarmccTaskDefinition): string {
  switch (definition.kind) {
    case 'make':
      return definition.target ? `make ${definition.target}` : 'make';
    case 'cmake-configure':
      return 'CMake configure';
    case 'cmake-build':
      return 'CMake build';
  }
}

export function createTask(definition: WarmccTaskDefinition, folder: vscode.WorkspaceFolder, paths: BundledPaths, server: WorkspaceServer): vscode.Task {
  const execution = new vscode.ShellExecution(commandLine(definition, paths), {
    cwd: folder.uri.fsPath,
    env: taskEnvironment(paths, server),
  });
  const task = new vscode.Task(definition, folder, taskLabel(definition), 'warmcc', execution, []);
  if (definition.kind !== 'cmake-configure') task.group = vscode.TaskGroup.Build;
  task.detail = `${commandLine(definition, paths)} (through the warmcc cache)`;
  return task;
}

export function tasksForFolder(folder: vscode.WorkspaceFolder, paths: BundledPaths, server: WorkspaceServer): vscode.Task[] {
  const tasks: vscode.Task[] = [];
  const has = (name: string): boolean => fs.existsSync(path.join(folder.uri.fsPath, name));
  if (MAKEFILES.some(has)) tasks.push(createTask({ type: TASK_TYPE, kind: 'make' }, folder, paths, server));
  if (has('CMakeLists.txt')) {
    tasks.push(createTask({ type: TASK_TYPE, kind: 'cmake-build' }, folder, paths, server));
    tasks.push(createTask({ type: TASK_TYPE, kind: 'cmake-configure' }, folder, paths, server));
  }
  return tasks;
}

export function activateTasks(context: vscode.ExtensionContext, paths: BundledPaths, server: WorkspaceServer): void {
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      provideTasks: () => (vscode.workspace.workspaceFolders ?? []).flatMap((folder) => tasksForFolder(folder, paths, server)),
      resolveTask: (task) => {
        const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
        const definition = task.definition as WarmccTaskDefinition;
        if (!folder || !['make', 'cmake-configure', 'cmake-build'].includes(definition.kind)) return undefined;
        return createTask(definition, folder, paths, server);
      },
    }),
  );
}
