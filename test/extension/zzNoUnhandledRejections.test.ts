/// <reference types="mocha" />
// Runs last (files load in name order; every file is loaded before any test runs, so the
// listener below sees the whole suite): no promise rejection from the extension went unhandled
// in the extension host while the other tests started, stopped, crashed and re-attached servers.

import * as assert from 'node:assert/strict';

const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => {
  const text = reason instanceof Error ? `${reason.message}\n${reason.stack ?? ''}` : String(reason);
  // only ours: the extension bundle, or a message naming warmcc
  if (/dist[\\/]extension\.js|warmcc/i.test(text)) unhandled.push(text.split('\n').slice(0, 6).join('\n'));
});

describe('extension host hygiene', () => {
  it('no unhandled promise rejection came from the extension during the suite', async () => {
    // rejections are reported a tick after they happen
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(unhandled, [], unhandled.join('\n---\n'));
  });
});
