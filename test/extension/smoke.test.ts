/// <reference types="mocha" />
// Proves the extension-test harness: the suite runs in a real VS Code 1.100 with the real API, the
// window has the fixture C project open, and warmcc's extension (loaded from the repo as the
// development extension) activates once it exists.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'warmcc.warmcc';

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
    if (expected) assert.equal(folder.fsPath, expected);
    const makefiles = await vscode.workspace.findFiles('Makefile');
    assert.equal(makefiles.length, 1, 'the fixture has one Makefile');
    assert.ok(fs.existsSync(path.join(folder.fsPath, 'main.c')));
  });

  it(`activates ${EXTENSION_ID}`, async function () {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    if (!extension) {
      console.log(`    (skipped: no extension ${EXTENSION_ID} is loaded yet: package.json has no such publisher.name)`);
      this.skip();
    }
    const main: unknown = extension.packageJSON?.main;
    if (typeof main === 'string' && !fs.existsSync(path.resolve(extension.extensionPath, main)) && !fs.existsSync(path.resolve(extension.extensionPath, `${main}.js`))) {
      console.log(`    (skipped: ${EXTENSION_ID}'s main ${main} is not built yet)`);
      this.skip();
    }
    await extension.activate();
    assert.equal(extension.isActive, true);
  });
});
