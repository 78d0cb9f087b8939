// Waiting in tests: poll for an observable state (a process gone, a file written, a counter
// moved) instead of sleeping for a time that is usually enough. One helper for the node tests,
// the extension suite (bundled by esbuild: node built-ins only here) and the VS Code harness.
//
//   const pid = await waitFor(() => sandbox.serverPid(), { timeoutMs: 10_000, what: 'the server to start' });
//
// On timeout it fails with "timed out after N ms waiting for <what>; last state: <state>", so a
// failure says what was expected and what was there instead.

import { inspect } from 'node:util';

/** What check() returns while the state is not there yet. */
export type Pending = undefined | null | false | 0 | '';

export interface WaitOptions {
  /** give up after this long (generous: CI machines are slow and shared) */
  timeoutMs: number;
  /** what is awaited, for the failure message: "the server to exit" */
  what: string;
  /** describes the state at the timeout; default: check()'s last value */
  state?: () => unknown;
  /** time between checks (default 50 ms) */
  intervalMs?: number;
  /** an event that makes a change likely (e.g. a vscode.Event): re-check as soon as it fires */
  wakeOn?: (listener: () => void) => { dispose(): unknown };
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

function describeState(value: unknown): string {
  const text = typeof value === 'string' ? value : inspect(value, { depth: 5, breakLength: Infinity, maxStringLength: 2000 });
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

/**
 * Resolves with check()'s first truthy value, checking at once, then every intervalMs (and when
 * wakeOn fires). Rejects with a WaitTimeoutError once timeoutMs have passed; an error thrown by
 * check() is not retried: it rejects at once (a failed step is not a state to wait out).
 */
export async function waitFor<T>(check: () => T | Pending | Promise<T | Pending>, options: WaitOptions): Promise<T> {
  const { timeoutMs, what, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  const subscription = options.wakeOn?.(() => wake?.());
  try {
    for (;;) {
      const value = await check();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) {
        const state = options.state ? options.state() : value;
        throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}; last state: ${describeState(state)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(intervalMs, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    subscription?.dispose();
  }
}

/**
 * The opposite wait, for scenarios that are about time (a compile that outlasts the idle
 * timeout): checks every intervalMs that check() stays truthy until durationMs have passed since
 * `since` (default: now); rejects at the first check that is falsy, with the state then.
 */
export async function holdsFor(
  check: () => unknown,
  options: { durationMs: number; what: string; since?: number; state?: () => unknown; intervalMs?: number },
): Promise<void> {
  const { durationMs, what, since = Date.now(), intervalMs = 100 } = options;
  for (;;) {
    const value = await check();
    if (!value)
      throw new Error(
        `${what} stopped holding after ${Date.now() - since} ms of ${durationMs}; state: ${describeState(options.state ? options.state() : value)}`,
      );
    const left = since + durationMs - Date.now();
    if (left <= 0) return;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}

/** Lets the event loop turn twice: whatever was already queued (I/O callbacks, timers due, a
 *  promise rejection Node reports after the tick it happened in) has been dispatched by then. */
export async function macrotaskTurns(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
