/// <reference types="mocha" />
// "warmcc: Explain Last Miss" for the active editor: after a build in the workspace's terminal
// environment misses because an argument changed, the command (through the language client to
// the window's server) names that argument; a file the server never compiled gets a clear message.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import type { ExplainResult } from '../../wrapper/contract/rpc';
import { runClient, runningServerPid, scratchDir, spyOnMessages, workspaceFolder, workspaceServer, type MessageSpy } from './helpers';

describe('Explain Last Miss', () => {
  let server: WorkspaceServer;
  let scratch: ReturnType<typeof scratchDir>;
  let spy: MessageSpy | undefined;

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
    scratch = scratchDir('explain');
  });

  afterEach(async () => {
    spy?.restore();
    spy = undefined;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => scratch.remove());

  async function compile(file: string, opt: string): Promise<void> {
    const result = await runClient(server, ['gcc', opt, '-c', file, '-o', file.replace(/\.c$/, '.o')], scratch.dir);
    assert.equal(result.code, 0, result.stderr);
  }

  it('names the argument that changed since the last hit (-O2 → -O1)', async () => {
    const file = path.join(scratch.dir, 'explained.c');
    fs.writeFileSync(file, 'int explained(int x) { return x * 3; }\n');
    await compile('explained.c', '-O2');
    // the second compile may race the storing of the first: compile until it is a hit
    for (let i = 0; i < 20 && (await server.refresh()).recent.at(-1)?.outcome !== 'hit'; i++) await compile('explained.c', '-O2');
    await compile('explained.c', '-O1');
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    spy = spyOnMessages();
    const result = await vscode.commands.executeCommand<ExplainResult | undefined>('warmcc.explainLastMiss');
    assert.ok(result, 'the command returned an explanation');
    assert.equal(result.explanation.verdict, 'changed');
    assert.equal(result.explanation.comparedWith?.outcome, 'hit');
    assert.deepEqual(result.explanation.changes, [{ kind: 'arguments', part: 'args', before: ['-O2'], after: ['-O1'] }]);
    assert.match(result.text, /argument changed: -O2 → -O1/);
    const relative = path.relative(workspaceFolder(), file);
    assert.deepEqual(spy.infos, [`warmcc: ${relative} missed: argument changed: -O2 → -O1`]);
    assert.deepEqual(spy.errors, []);
  });

  it('says so for a file the server never compiled, and asks for a file without an editor', async () => {
    const file = path.join(scratch.dir, 'never.c');
    fs.writeFileSync(file, 'int never(void) { return 0; }\n');
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    spy = spyOnMessages();
    const result = await vscode.commands.executeCommand<ExplainResult | undefined>('warmcc.explainLastMiss');
    assert.equal(result?.explanation.verdict, 'never seen');
    assert.deepEqual(spy.infos, [`warmcc: ${path.relative(workspaceFolder(), file)}: no request of this file in the journal.`]);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    spy.infos.length = 0;
    assert.equal(await vscode.commands.executeCommand('warmcc.explainLastMiss'), undefined);
    assert.equal(spy.infos.length, 1);
    assert.match(spy.infos[0]!, /open the source file/);
  });
});
