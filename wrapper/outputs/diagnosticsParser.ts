// Reads gcc/clang diagnostics ("file:line:col: warning: text [-Wflag]") out of a compile's
// stderr, so the editor can show them, including when they are replayed from a cache hit.

import * as path from 'node:path';
import { stripColor } from './diagnosticsColor';

export type DiagnosticSeverity = 'error' | 'warning' | 'note';

export interface CompilerDiagnostic {
  /** absolute path */
  file: string;
  /** 1-based; 0 when the compiler gave none */
  line: number;
  column: number;
  severity: DiagnosticSeverity;
  message: string;
  /** the warning option, e.g. "-Wunused-variable" */
  option?: string;
}

// file:line:col: severity: message [option]   (col optional; "fatal error" counts as error)
const DIAGNOSTIC_LINE = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*?)(?: \[(-W[^\]]+|-Werror=[^\]]+)\])?$/;

export function parseDiagnostics(stderr: Buffer | string, cwd: string): CompilerDiagnostic[] {
  const text = stripColor(typeof stderr === 'string' ? Buffer.from(stderr) : stderr).toString('utf8');
  const diagnostics: CompilerDiagnostic[] = [];
  for (const line of text.split('\n')) {
    const match = DIAGNOSTIC_LINE.exec(line);
    if (!match) continue;
    const [, file, lineNumber, column, severity, message, option] = match;
    if (file!.startsWith('<') || file === 'cc1' || file === 'cc1plus') continue; // <command-line>, <built-in>
    diagnostics.push({
      file: path.resolve(cwd, file!),
      line: Number(lineNumber),
      column: column ? Number(column) : 0,
      severity: severity === 'fatal error' ? 'error' : (severity as DiagnosticSeverity),
      message: message!,
      ...(option ? { option } : {}),
    });
  }
  return diagnostics;
}
