// The number formats `warmcc -s` and the stats panel share (wrapper/contract/format.ts): the CLI's
// fixed decimals, which scripts and the other tests read, and the panel's short forms.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatCount, formatDuration, formatMilliseconds, formatPercent, formatSeconds } from '../wrapper/contract/format';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('number formats shared by warmcc -s and the stats panel', () => {
  test('bytes: one decimal unless it is .0; short drops it from 100 up and rounds whole bytes', () => {
    assert.equal(formatBytes(712), '712 bytes');
    assert.equal(formatBytes(1), '1 bytes');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(10 * GiB), '10 GiB');
    assert.equal(formatBytes(123.45 * MiB), '123.5 MiB');
    assert.equal(formatBytes(5000 * GiB), '4.9 TiB');
    assert.equal(formatBytes(123.45 * MiB, { short: true }), '123 MiB');
    assert.equal(formatBytes(99.95 * MiB, { short: true }), '100 MiB');
    assert.equal(formatBytes(1.25 * GiB, { short: true }), '1.3 GiB');
    assert.equal(formatBytes(1, { short: true }), '1 byte');
    assert.equal(formatBytes(712.6, { short: true }), '713 bytes');
    assert.equal(formatBytes(Number.NaN, { short: true }), '0 bytes');
  });

  test('counts: whole numbers, 0 when absent, with a singular or plural noun', () => {
    assert.equal(formatCount(1234), '1234');
    assert.equal(formatCount(undefined), '0');
    assert.equal(formatCount(2.6), '3');
    assert.equal(formatCount(1, 'entry', 'entries'), '1 entry');
    assert.equal(formatCount(0, 'entry', 'entries'), '0 entries');
    assert.equal(formatCount(3, 'read error'), '3 read errors');
  });

  test("percentages: the panel's 50.0%, the CLI's 50.00 %", () => {
    assert.equal(formatPercent(0.5), '50.0%');
    assert.equal(formatPercent(2 / 3), '66.7%');
    assert.equal(formatPercent(0.5, { digits: 2, spaced: true }), '50.00 %');
    assert.equal(formatPercent(0), '0.0%');
  });

  test('milliseconds: fixed decimals for the CLI, the digits that matter for the panel', () => {
    assert.equal(formatMilliseconds(0.4123, 3), '0.412 ms');
    assert.equal(formatMilliseconds(0, 2), '0.00 ms');
    assert.equal(formatMilliseconds(0), '0 ms');
    assert.equal(formatMilliseconds(0.4123), '0.41 ms');
    assert.equal(formatMilliseconds(12.34), '12.3 ms');
    assert.equal(formatMilliseconds(812.5), '813 ms');
    assert.equal(formatMilliseconds(15_000), '15 s');
  });

  test('seconds and durations: fixed for the CLI; long and compact forms for the panel', () => {
    assert.equal(formatSeconds(12_345.6789, 3), '12.346 s');
    assert.equal(formatDuration(400), '400 ms');
    assert.equal(formatDuration(4_240), '4.2 s');
    assert.equal(formatDuration(42_400), '42 s');
    assert.equal(formatDuration(1_218_345), '20 min 18 s');
    assert.equal(formatDuration(3 * 3600_000 + 5 * 60_000), '3 h 5 min');
    assert.equal(formatDuration(52 * 3600_000), '2 d 4 h');
    assert.equal(formatDuration(0.4, { compact: true }), '0 s');
    assert.equal(formatDuration(400, { compact: true }), '400 ms');
    assert.equal(formatDuration(4_240, { compact: true }), '4.2 s');
    assert.equal(formatDuration(1_218_345, { compact: true }), '20m 18s');
    assert.equal(formatDuration(3 * 3600_000 + 5 * 60_000, { compact: true }), '3h 05m');
    assert.equal(formatDuration(52 * 3600_000, { compact: true }), '2d 4h');
  });
});
