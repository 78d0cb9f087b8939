// The clang flag table: gcc's table plus the entries where clang differs or has flags of its
// own. An entry here with the same spelling as a gcc entry replaces it.

import { def, GCC_FLAGS } from './gccFlags';
import type { FamilyRules, FlagSpec, NotCacheableReason } from './types';

const PROFILE: NotCacheableReason = 'profile generation/use without fixed path';

const CLANG_ONLY_FLAGS: readonly FlagSpec[] = [
  // --- colour: clang's own spellings ------------------------------------------------------
  def('-fcolor-diagnostics', 'none', 'color', { effect: 'colorAlways' }),
  def('-fno-color-diagnostics', 'none', 'color', { effect: 'colorNever' }),

  // --- debug info: clang differs from gcc 12 here (checked with readelf) --------------------
  def('-gdwarf32', 'none', 'common', { effect: 'debugOn' }),
  def('-gdwarf64', 'none', 'common', { effect: 'debugOn' }),
  def('-gsplit-dwarf=', 'equals', 'common', { effect: 'splitDwarfMode' }),
  def('-grecord-command-line', 'none', 'common'),
  def('-gembed-source', 'none', 'common'),

  // --- preprocessor only -------------------------------------------------------------------
  def('-F', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-iframework', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-iframeworkwithsysroot', 'separateOrConcatenated', 'preprocessor'),
  def('-isystem-after', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-cxx-isystem', 'separateOrConcatenated', 'preprocessor', { path: true }),

  // --- dependency files --------------------------------------------------------------------
  def('-MV', 'none', 'dependency'),
  def('-MJ', 'separateOrConcatenated', 'tooHard'), // writes a compilation-database fragment

  // --- common flags with a separate value ----------------------------------------------------
  def('-arch', 'separate', 'common', { effect: 'arch' }),
  def('-target', 'separate', 'common'),
  def('--target=', 'equals', 'common'),
  def('-mllvm', 'separate', 'common'),
  def('-resource-dir', 'separate', 'common'),
  def('-resource-dir=', 'equals', 'common'),
  def('--gcc-toolchain', 'separate', 'common'),
  def('--gcc-toolchain=', 'equals', 'common'),
  def('-ftime-trace-granularity=', 'equals', 'common'),
  def('-fproc-stat-report', 'concatenated', 'common', { effect: 'fileAfterEquals' }),

  // --- profile feedback ----------------------------------------------------------------------
  def('-fprofile-instr-generate', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fprofile-instr-use', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fprofile-sample-use', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fcs-profile-generate', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fprofile-remapping-file=', 'equals', 'tooHard'),
  def('-fprofile-list=', 'equals', 'tooHard'),

  // --- not cacheable: opaque to the key (cc1 flags, modules, PCH, input lists) -------------
  def('-Xclang', 'separate', 'tooHard'),
  def('-Xarch_', 'concatenated', 'tooHard'),
  def('-Xanalyzer', 'separate', 'tooHard'),
  def('--analyze', 'none', 'tooHard'),
  def('-fmodules', 'none', 'tooHard'),
  def('-fcxx-modules', 'none', 'tooHard'),
  def('-fmodule-file=', 'equals', 'tooHard'),
  def('-fprebuilt-module-path=', 'equals', 'tooHard'),
  def('--precompile', 'none', 'tooHard'),
  def('-include-pch', 'separate', 'tooHard'),
  def('-emit-ast', 'none', 'tooHard'),
  def('-fpass-plugin=', 'equals', 'tooHard'),
  def('--config', 'separate', 'tooHard'),
  def('--config=', 'equals', 'tooHard'),
  def('-working-directory', 'separate', 'tooHard'), // moves every relative output
  def('-working-directory=', 'equals', 'tooHard'),
  def('-fsanitize-blacklist=', 'equals', 'tooHard'),
  def('-fsanitize-ignorelist=', 'equals', 'tooHard'),
  def('-fsanitize-coverage-allowlist=', 'equals', 'tooHard'),
  def('-fsanitize-coverage-ignorelist=', 'equals', 'tooHard'),
  def('-fsanitize-coverage-blocklist=', 'equals', 'tooHard'),
  def('-fxray-always-instrument=', 'equals', 'tooHard'),
  def('-fxray-never-instrument=', 'equals', 'tooHard'),
  def('-fxray-attr-list=', 'equals', 'tooHard'),

  // --- not cacheable: extra output files -------------------------------------------------------
  def('-ftime-trace', 'concatenated', 'tooHard'),
  def('--serialize-diagnostics', 'separate', 'tooHard'),
  def('-fsave-optimization-record', 'concatenated', 'tooHard'),
  def('-foptimization-record-file=', 'equals', 'tooHard'),
  def('-save-stats', 'concatenated', 'tooHard'),
];

/** `base` with every entry of `overrides` replacing the one of the same spelling. */
export function overrideFlags(base: readonly FlagSpec[], overrides: readonly FlagSpec[]): FlagSpec[] {
  const bySpelling = new Map<string, FlagSpec>();
  for (const spec of base) bySpelling.set(spec.flag, spec);
  for (const spec of overrides) bySpelling.set(spec.flag, spec);
  return [...bySpelling.values()];
}

export const CLANG_FLAGS: readonly FlagSpec[] = overrideFlags(GCC_FLAGS, CLANG_ONLY_FLAGS);

export const CLANG_RULES: FamilyRules = {
  flags: CLANG_FLAGS,
  splitDwarfNeedsDebugInfo: true,
  leadingDotIsSuffix: true,
};
