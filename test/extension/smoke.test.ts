/// <reference types="mocha" />
// Proves the extension-test harness: the suite runs in a real VS Code 1.100 with the real API and
// the window has the harness's copy of the fixture C project open (that warmcc's extension
// activates there: activation.test.ts).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

describe('extension test harness', () => {
  it('runs inside VS Code 1.100 (code-server 4.100.3)', () => {
    assert.match(vscode.version, /^1\.100\.\d+$/);
  });

  it('opens the fixture C project as the only workspace folder', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, `workspace folders: ${folders.map((folder) => folder.uri.toString()).join(', ')}`);
    const folder = folders[0]!.uri;
    assert.equal(folder.scheme, 'file');
    const expected = process.env.WARMCC_TEST_WORKSPACE;
    assert.ok(expected, 'the harness (test/vscode/runExtensionTests.mjs) sets WARMCC_TEST_WORKSPACE');
    assert.equal(folder.fsPath, expected);
    const makefiles = await vscode.workspace.findFiles('Makefile');
    assert.equal(makefiles.length, 1, 'the fixture has one Makefile');
    assert.ok(fs.existsSync(path.join(folder.fsPath, 'main.c')));
  });
});
