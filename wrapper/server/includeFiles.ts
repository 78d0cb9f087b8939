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

export function includedFiles(preprocessed: Buffer, cwd: string): IncludedFile[] {
  const files = new Map<string, boolean>();
  const text = preprocessed.toString('latin1'); // markers are ASCII; latin1 keeps byte offsets cheap
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (text.charCodeAt(start) === 0x23 /* # */) {
      const match = LINE_MARKER.exec(text.slice(start, Math.min(end, start + 4096)));
      if (match) {
        const name = match[1]!.replace(/\\(.)/g, '$1');
        // <built-in>, <command-line>, and gcc's "/cwd//" working-directory marker are not files
        if (!name.startsWith('<') && !name.endsWith('/')) {
          const file = absolute(cwd, Buffer.from(name, 'latin1').toString('utf8'));
          const system = / 3\b/.test(match[2] ?? '');
          files.set(file, (files.get(file) ?? true) && system);
        }
      }
    }
    start = end + 1;
  }
  return [...files].map(([file, system]) => ({ file, system }));
}
