// The files a compile read, from the line markers of its preprocessed output
// (`# 12 "path/to/header.h" 1`): what direct mode's manifest records and later re-checks.

import * as path from 'node:path';

const LINE_MARKER = /^# \d+ "((?:[^"\\]|\\.)*)"((?: \d)*)/;

export interface IncludedFile {
  file: string;
  /** flag 3 on the marker: found in a system include directory */
  system: boolean;
}

/** `..` stays as the compiler wrote it: `inc/link/../cfg.h` through a symlinked directory is the
 *  target's parent's cfg.h for the kernel (and the compiler), but inc/cfg.h after lexical
 *  normalisation — a different file to hash. Other paths are normalised. */
export function absolute(cwd: string, name: string): string {
  if (!/(^|\/)\.\.(\/|$)/.test(name)) return path.resolve(cwd, name);
  return name.startsWith('/') ? name : `${cwd.replace(/\/$/, '')}/${name}`;
}

const NEWLINE_HASH = Buffer.from('\n#', 'latin1');

export function includedFiles(preprocessed: Buffer, cwd: string): IncludedFile[] {
  const files = new Map<string, boolean>();
  /** marker name as written → absolute path ('' for non-files); markers repeat a lot */
  const resolved = new Map<string, string>();
  const consider = (start: number): void => {
    let end = preprocessed.indexOf(0x0a, start);
    if (end < 0 || end > start + 4096) end = Math.min(preprocessed.length, start + 4096);
    // markers are ASCII; latin1 keeps the file name's bytes for the utf8 decoding below
    const match = LINE_MARKER.exec(preprocessed.toString('latin1', start, end));
    if (!match) return;
    const written = match[1]!;
    let file = resolved.get(written);
    if (file === undefined) {
      const name = written.replace(/\\(.)/g, '$1');
      // <built-in>, <command-line>, and gcc's "/cwd//" working-directory marker are not files
      file = name.startsWith('<') || name.endsWith('/') ? '' : absolute(cwd, Buffer.from(name, 'latin1').toString('utf8'));
      resolved.set(written, file);
    }
    if (!file) return;
    const system = / 3\b/.test(match[2] ?? '');
    files.set(file, (files.get(file) ?? true) && system);
  };
  // jump from line start to line start where a '#' begins the line (native search), rather
  // than walking every line of a text that is megabytes for C++
  if (preprocessed[0] === 0x23 /* # */) consider(0);
  for (let at = preprocessed.indexOf(NEWLINE_HASH); at >= 0; at = preprocessed.indexOf(NEWLINE_HASH, at + 1)) consider(at + 1);
  return [...files].map(([file, system]) => ({ file, system }));
}
