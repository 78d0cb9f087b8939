// Colour handling for replayed diagnostics. Compiles run with colours forced on (unless the
// user said never), so one cached entry serves terminals and pipes alike; escape codes are
// removed when the client's stderr is not a terminal.

import type { DiagnosticsColor } from '../compilers/types';

// SGR colour codes, erase-in-line (gcc emits ESC[K), and OSC 8 hyperlinks
// eslint-disable-next-line no-control-regex -- escape codes are what this matches
const ESCAPE_SEQUENCES = /\x1b\[[0-9;]*[mK]|\x1b\]8;[^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripColor(text: Buffer): Buffer {
  if (!text.includes(0x1b)) return text;
  return Buffer.from(text.toString('utf8').replace(ESCAPE_SEQUENCES, ''));
}

/** The flag that makes the compiler colour its diagnostics, or none when the user chose. */
export function forcedColorArgs(color: DiagnosticsColor): string[] {
  return color === 'auto' ? ['-fdiagnostics-color=always'] : [];
}

export function shouldStripColor(color: DiagnosticsColor, stderrIsTty: boolean): boolean {
  return color === 'never' || (color === 'auto' && !stderrIsTty);
}
