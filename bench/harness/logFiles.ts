// Reading the logs commands and servers write: the end of a failed build's log, and the error
// lines a server log gained during one measurement.

import * as fs from 'node:fs';

export function tailOf(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Where a server log ends now, to scan only what a measurement adds. */
export function logMark(file: string | undefined): number {
  if (!file) return 0;
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Error-looking lines a server log gained since `from`. */
export function newErrorLines(file: string | undefined, from: number): string[] {
  if (!file) return [];
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8');
    return text.split('\n').filter((l) => /\b(error|fatal|panic|exception|uncaught)\b/i.test(l));
  } catch {
    return [];
  }
}

export function errorLinesNote(lines: string[]): string | undefined {
  if (lines.length === 0) return undefined;
  const first = lines[0]!
    .replace(/^\S*\d{4}-\d\d-\d\dT\S+\s*/, '')
    .replace(/\|/g, '/')
    .slice(0, 120);
  return `⚠ server log: ${lines.length} error line(s), first: "${first}"`;
}

/** A row's label as part of a log file name. */
export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
