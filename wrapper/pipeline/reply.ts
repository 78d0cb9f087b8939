// The reply a compile request ends with (sent as frames by server/compileConnection.ts), and the
// two things every finished compile does on its way out: replay the compiler's output, coloured
// or not for the client's terminal, and tell editors about its diagnostics.

import * as path from 'node:path';
import type { CacheableCompile } from '../compilers/types';
import type { CompileRequest } from '../contract/protocol';
import type { CompiledNotification } from '../contract/rpc';
import { shouldStripColor, stripColor } from '../outputs/diagnosticsColor';
import { parseDiagnostics } from '../outputs/diagnosticsParser';
import type { CompileContext } from './context';

export type CompileReply =
  { kind: 'exit'; code: number; stdout: Buffer; stderr: Buffer } | { kind: 'runLocally'; reason: string } | { kind: 'error'; message: string };

export const CLIENT_WENT_AWAY: CompileReply = { kind: 'error', message: 'client went away' };

/** The compiler's output and status as the client must see them. */
export function replayed(parsed: CacheableCompile, request: CompileRequest, code: number, stdout: Buffer, stderr: Buffer): CompileReply {
  const strip = shouldStripColor(parsed.color, request.stderrIsTty);
  return { kind: 'exit', code, stdout, stderr: strip ? stripColor(stderr) : stderr };
}

/** Tells editors (context.compiled) that a cacheable compile finished, with its diagnostics. */
export function announce(
  context: CompileContext,
  request: CompileRequest,
  parsed: CacheableCompile,
  outcome: CompiledNotification['outcome'],
  stderr: Buffer,
): void {
  context.compiled({
    source: path.resolve(request.cwd, parsed.inputFile),
    cwd: request.cwd,
    outcome,
    diagnostics: parseDiagnostics(stderr, request.cwd),
  });
}
