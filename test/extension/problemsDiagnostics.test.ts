/// <reference types="mocha" />
// Compiler warnings and errors of compiles that went through the workspace's server reach the
// Problems view (vscode.languages.getDiagnostics), including when a cache hit replays them; a
// clean compile of the source clears them; a header's warning seen by two sources shows once.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompiledNotification } from '../../wrapper/contract/rpc';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import { runClient, runningServerPid, scratchDir, waitFor, workspaceServer, type RunResult } from './helpers';

describe('diagnostics in the Problems view', () => {
  let server: WorkspaceServer;
  let scratch: ReturnType<typeof scratchDir>;

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
    scratch = scratchDir('diagnostics');
  });

  after(() => scratch.remove());

  const file = (name: string): string => path.join(scratch.dir, name);
  const uri = (name: string): vscode.Uri => vscode.Uri.file(file(name));
  const warmccDiagnostics = (name: string): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri(name)).filter((d) => d.source === 'warmcc');

  /** compiles through the workspace server and resolves with the compiled notification for it,
   *  once that notification has been dispatched to every listener: the Problems feature
   *  (extension/diagnostics.ts) updates its collection synchronously in its listener, so what
   *  this compile changes in vscode.languages.getDiagnostics is there when this resolves */
  async function compile(source: string, expectCode = 0): Promise<{ result: RunResult; event: CompiledNotification }> {
    const object = source.replace(/\.c$/, '.o');
    let received: CompiledNotification | undefined;
    const subscription = server.onDidCompile((event) => {
      if (event.source === file(source)) received = event;
    });
    try {
      const result = await runClient(server, ['gcc', '-Wall', '-c', source, '-o', object], scratch.dir);
      assert.equal(result.code, expectCode, `gcc ${source}: exit ${result.code}: ${result.stderr}`);
      const event = await waitFor(() => received, { timeoutMs: 10_000, what: `warmcc/compiled for ${source}`, wakeOn: server.onDidCompile });
      return { result, event };
    } finally {
      subscription.dispose();
    }
  }

  /** waits until the file's warmcc diagnostics satisfy check (the collection is set right after the notification) */
  function diagnosticsOf(name: string, what: string, check: (diagnostics: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
    return waitFor(
      () => {
        const diagnostics = warmccDiagnostics(name);
        return check(diagnostics) ? diagnostics : undefined;
      },
      {
        timeoutMs: 10_000,
        what: `${name}: ${what}`,
        state: () => warmccDiagnostics(name).map((d) => d.message),
        wakeOn: vscode.languages.onDidChangeDiagnostics,
      },
    );
  }

  it('shows a warning, keeps it when a cache hit replays it, and clears it when the source compiles clean', async () => {
    fs.writeFileSync(file('warn.c'), 'int f(void) { int unused; return 0; }\n');
    const entriesBefore = (await server.refresh()).cacheEntries;
    const first = await compile('warn.c');
    assert.match(first.result.stderr, /unused variable/, 'the build still sees the warning');
    assert.equal(first.event.outcome, 'miss');
    const [warning, ...others] = await diagnosticsOf('warn.c', 'one warning', (d) => d.length > 0);
    assert.deepEqual(others, [], 'exactly one diagnostic');
    assert.equal(warning!.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(warning!.range.start.line, 0);
    assert.match(warning!.message, /unused variable/);
    assert.equal(warning!.source, 'warmcc');
    assert.equal(warning!.code, '-Wunused-variable');

    // the same compile again: a hit, whose replayed stderr carries the warning (the server
    // stores an entry after replying: wait for it)
    const stored = await waitFor(
      async () => {
        const snapshot = await server.refresh();
        return snapshot.cacheEntries > entriesBefore && snapshot;
      },
      { timeoutMs: 10_000, what: 'the cache entry of warn.c', state: () => ({ cacheEntries: server.snapshot?.cacheEntries, entriesBefore }) },
    );
    const hitsBefore = stored.cacheHits;
    fs.rmSync(file('warn.o'));
    const again = await compile('warn.c');
    assert.equal(again.event.outcome, 'hit');
    assert.match(again.result.stderr, /unused variable/);
    assert.equal((await server.refresh()).cacheHits, hitsBefore + 1, 'the second compile was a cache hit');
    const afterHit = warmccDiagnostics('warn.c');
    assert.equal(afterHit.length, 1, `still exactly one diagnostic after the hit: ${JSON.stringify(afterHit.map((d) => d.message))}`);
    assert.match(afterHit[0]!.message, /unused variable/);

    // fixed: a clean compile of the source replaces its diagnostics with none
    fs.writeFileSync(file('warn.c'), 'int f(void) { return 0; }\n');
    const fixed = await compile('warn.c');
    assert.equal(fixed.event.diagnostics.length, 0);
    await diagnosticsOf('warn.c', 'no diagnostics', (d) => d.length === 0);
  });

  it('shows a compile error as an Error', async () => {
    fs.writeFileSync(file('broken.c'), 'int g(void) {\n  return not_declared;\n}\n');
    const { event } = await compile('broken.c', 1);
    assert.equal(event.outcome, 'compile failed');
    const diagnostics = await diagnosticsOf('broken.c', 'an error', (d) => d.some((x) => x.severity === vscode.DiagnosticSeverity.Error));
    const error = diagnostics.find((d) => d.severity === vscode.DiagnosticSeverity.Error)!;
    assert.equal(error.range.start.line, 1);
    assert.match(error.message, /not_declared/);
    fs.writeFileSync(file('broken.c'), 'int g(void) {\n  return 0;\n}\n');
    await compile('broken.c');
    await diagnosticsOf('broken.c', 'no diagnostics', (d) => d.length === 0);
  });

  it("shows a header's warning once although two sources include the header", async () => {
    fs.writeFileSync(file('shared.h'), 'static inline int helper(void) { int unused_in_header; return 1; }\n');
    fs.writeFileSync(file('one.c'), '#include "shared.h"\nint one(void) { return helper(); }\n');
    fs.writeFileSync(file('two.c'), '#include "shared.h"\nint two(void) { return helper() + 1; }\n');
    const a = await compile('one.c');
    const b = await compile('two.c');
    for (const { event } of [a, b]) {
      assert.ok(
        event.diagnostics.some((d) => d.file === file('shared.h') && /unused_in_header/.test(d.message)),
        `${event.source} reported the header warning`,
      );
    }
    const inHeader = await diagnosticsOf('shared.h', 'the header warning', (d) => d.length > 0);
    // both compiles' notifications are processed (compile() resolved after each): a duplicate
    // from the second report would be in the collection now
    assert.equal(warmccDiagnostics('shared.h').length, 1, `header diagnostics: ${JSON.stringify(warmccDiagnostics('shared.h').map((d) => d.message))}`);
    assert.equal(inHeader[0]!.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(inHeader[0]!.range.start.line, 0);
    assert.deepEqual(warmccDiagnostics('one.c'), [], 'the sources themselves are clean');
    assert.deepEqual(warmccDiagnostics('two.c'), []);

    // one source fixed: the other still reports it; both fixed: gone
    fs.writeFileSync(file('shared.h'), 'static inline int helper(void) { return 1; }\n');
    const oneFixed = await compile('one.c');
    // the step is processed: one.c's notification (reporting nothing) has been handled
    assert.deepEqual(oneFixed.event.diagnostics, [], 'one.c now compiles clean');
    assert.equal(warmccDiagnostics('shared.h').length, 1, "two.c's compile still reports the header warning");
    await compile('two.c');
    await diagnosticsOf('shared.h', 'no diagnostics', (d) => d.length === 0);
  });
});
