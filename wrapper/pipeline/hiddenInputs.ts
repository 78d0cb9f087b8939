// Hidden inputs: files a compile reads that its preprocessed text does not show, found in that
// text. Such a compile is run by the real compiler and never cached (in either mode), since
// neither key could notice a change of the file read.

import type { Language } from '../compilers/types';

const INCBIN = Buffer.from('.incbin');
const ASSEMBLER_INCLUDE = /^\s*\.include\b/m;
/** written by gcc -E with -fpch-preprocess where it would load a precompiled header */
const PCH_PRAGMA = Buffer.from('#pragma GCC pch_preprocess');

export function hiddenInputReason(preprocessed: Buffer, language: Language): string | undefined {
  // the assembler reads the file (also from inline asm in C and C++)
  if (preprocessed.includes(INCBIN)) return 'assembler .incbin';
  if (language === 'assembler-with-cpp' && ASSEMBLER_INCLUDE.test(preprocessed.toString('latin1'))) return 'assembler .include';
  // the compile would read header.h.gch, while the preprocessed text comes from header.h
  if (preprocessed.includes(PCH_PRAGMA)) return 'precompiled header input';
  return undefined;
}
