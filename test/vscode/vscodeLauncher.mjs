// Stands in for the `code` executable when @vscode/test-electron's runTests (or @vscode/test-cli)
// launches "VS Code" for an extension's test suite: it accepts VS Code's command-line flags, runs
// the suite in code-server + headless Chromium (codeServer.ts), streams the extension host's
// console (mocha's reporter) to stdout and exits with the suite's exit code.
//
//   test/vscode/code --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [FOLDER] [other VS Code flags, ignored]
//
// Environment: WARMCC_VSCODE_TEST_TIMEOUT (seconds for the whole run, default 300); everything else
// in the environment (runTests' extensionTestsEnv included) reaches the extension host.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

// VS Code flags that take their value as the next word when written without '='
const FLAGS_WITH_VALUE = new Set([
  'extensionDevelopmentPath',
  'extensionTestsPath',
  'user-data-dir',
  'extensions-dir',
  'locale',
  'profile',
  'log',
  'folder-uri',
  'file-uri',
  'crash-reporter-directory',
  'sync',
  'inspect-extensions',
  'inspect-brk-extensions',
  'enable-proposed-api',
  'install-extension',
  'uninstall-extension',
  'category',
  'remote',
  'add',
  'goto',
]);

/** @param {string[]} argv */
export function parseVSCodeArgs(argv) {
  const result = { extensionDevelopmentPaths: [], extensionTestsPath: undefined, folders: [], ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      result.folders.push(path.resolve(arg));
      continue;
    }
    const match = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    const name = match[1];
    let value = match[2];
    if (value === undefined && FLAGS_WITH_VALUE.has(name) && i + 1 < argv.length) value = argv[++i];
    if (name === 'extensionDevelopmentPath') result.extensionDevelopmentPaths.push(path.resolve(value));
    else if (name === 'extensionTestsPath') result.extensionTestsPath = path.resolve(value);
    else if (name === 'folder-uri' && value?.startsWith('file://')) result.folders.push(fileURLToPath(value));
    else result.ignored.push(value === undefined ? arg : `--${name}=${value}`);
  }
  return result;
}

async function main() {
  const args = parseVSCodeArgs(process.argv.slice(2));
  if (!args.extensionTestsPath) {
    console.error('vscodeLauncher: --extensionTestsPath=FILE is required (this launcher only runs extension test suites)');
    return 1;
  }
  if (args.extensionDevelopmentPaths.length > 1) {
    console.error(`vscodeLauncher: only the first --extensionDevelopmentPath is loaded (${args.extensionDevelopmentPaths[0]})`);
  }
  if (args.folders.length > 1) console.error(`vscodeLauncher: opening the first folder only (${args.folders[0]})`);
  let folder = args.folders[0];
  let emptyFolder;
  if (!folder) folder = emptyFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-vscode-empty-'));
  const timeoutSeconds = Number(process.env.WARMCC_VSCODE_TEST_TIMEOUT || 300);
  const { runSuiteInCodeServer } = await tsImport('./codeServer.ts', import.meta.url);
  try {
    return await runSuiteInCodeServer({
      extensionDevelopmentPath: args.extensionDevelopmentPaths[0] ?? process.cwd(),
      extensionTestsPath: args.extensionTestsPath,
      folder,
      timeoutMs: timeoutSeconds * 1000,
      // printed first by test/extension/index.ts; the workbench's start-up chatter before it is held back
      startMarker: 'warmcc-extension-tests: start',
    });
  } finally {
    if (emptyFolder) fs.rmSync(emptyFolder, { recursive: true, force: true });
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  // Ctrl-C from runTests (SIGINT) or a CI timeout (SIGTERM): the exit hooks in codeServer.ts and
  // playwright stop code-server's process group and the browser
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`vscodeLauncher: ${error?.stack ?? error}`);
      process.exit(1);
    },
  );
}
