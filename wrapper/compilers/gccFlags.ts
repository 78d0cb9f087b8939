// The gcc flag table (gcc, g++, cc, c++): one line per flag spelling that the generic parser
// must know about. Flags not listed here are 'common' (kept in the key, passed to both runs),
// so the table lists what needs a value, what is not in the key, and what cannot be cached.

import type { FamilyRules, FlagEffect, FlagRole, FlagSpec, FlagValueShape, NotCacheableReason } from './types';

/** One table line. `extra` is the reason (tooHard) or the effect, whichever applies. */
export function def(flag: string, shape: FlagValueShape, role: FlagRole, extra?: { reason?: NotCacheableReason; effect?: FlagEffect; path?: true }): FlagSpec {
  return { flag, shape, role, ...extra };
}

const PROFILE: NotCacheableReason = 'profile generation/use without fixed path';

export const GCC_FLAGS: readonly FlagSpec[] = [
  // --- mode and output -------------------------------------------------------------------
  def('-c', 'none', 'compileOnly'),
  def('--compile', 'none', 'compileOnly'),
  def('-o', 'separateOrConcatenated', 'output', { path: true }),
  def('--output', 'separate', 'output', { path: true }),
  def('--output=', 'equals', 'output', { path: true }),
  def('-x', 'separateOrConcatenated', 'language'),
  def('--language', 'separate', 'language'),
  def('--language=', 'equals', 'language'),
  def('-E', 'none', 'tooHard', { reason: 'preprocess only (-E)' }),
  def('--preprocess', 'none', 'tooHard', { reason: 'preprocess only (-E)' }),
  // -S wins over -c (the output is assembly), so it is "not a -c compile"
  def('-S', 'none', 'tooHard', { reason: 'no -c (linking or other)' }),
  def('--assemble', 'none', 'tooHard', { reason: 'no -c (linking or other)' }),
  def('-fsyntax-only', 'none', 'tooHard', { reason: 'syntax only (-fsyntax-only)' }),
  def('-save-temps', 'concatenated', 'tooHard', { reason: '-save-temps' }), // also -save-temps=obj
  def('--save-temps', 'concatenated', 'tooHard', { reason: '-save-temps' }),
  // driver queries: print something and compile nothing
  def('-###', 'none', 'tooHard'),
  def('--help', 'concatenated', 'tooHard'),
  def('--target-help', 'none', 'tooHard'),
  def('--version', 'none', 'tooHard'),
  def('-print-', 'concatenated', 'tooHard'),
  def('--print-', 'concatenated', 'tooHard'),
  // -dLETTERS writes RTL dumps; -dumpversion/-dumpmachine only print
  def('-d', 'concatenated', 'tooHard'),
  // these rename the .gcno/.dwo/.su files (checked: -dumpdir xx- gives xx-t.gcno)
  def('-dumpbase', 'separate', 'tooHard'),
  def('-dumpbase-ext', 'separate', 'tooHard'),
  def('-dumpdir', 'separate', 'tooHard'),
  def('-wrapper', 'separate', 'tooHard'),

  // --- preprocessor only: their effect is in the preprocessed text ------------------------
  def('-I', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-iquote', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-isystem', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-idirafter', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-iprefix', 'separateOrConcatenated', 'preprocessor'),
  def('-iwithprefix', 'separateOrConcatenated', 'preprocessor'),
  def('-iwithprefixbefore', 'separateOrConcatenated', 'preprocessor'),
  def('-isysroot', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-include', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-imacros', 'separateOrConcatenated', 'preprocessor', { path: true }),
  def('-D', 'separateOrConcatenated', 'preprocessor'),
  def('-U', 'separateOrConcatenated', 'preprocessor'),
  def('-A', 'separateOrConcatenated', 'preprocessor'),
  def('-nostdinc', 'none', 'preprocessor'),
  def('-nostdinc++', 'none', 'preprocessor'),
  def('-undef', 'none', 'preprocessor'),
  def('-trigraphs', 'none', 'preprocessor'),
  def('-traditional-cpp', 'none', 'preprocessor'),
  def('-remap', 'none', 'preprocessor'),
  def('-C', 'none', 'preprocessor'),
  def('-CC', 'none', 'preprocessor'),
  def('-P', 'none', 'preprocessor'),
  def('--include-directory', 'separate', 'preprocessor', { path: true }),
  def('--include-directory=', 'equals', 'preprocessor', { path: true }),
  def('--include-directory-after', 'separate', 'preprocessor', { path: true }),
  def('--include-directory-after=', 'equals', 'preprocessor', { path: true }),
  def('--include-prefix', 'separate', 'preprocessor'),
  def('--include-prefix=', 'equals', 'preprocessor'),
  def('--include-with-prefix', 'separate', 'preprocessor'),
  def('--include-with-prefix=', 'equals', 'preprocessor'),
  def('--include-with-prefix-before', 'separate', 'preprocessor'),
  def('--include-with-prefix-before=', 'equals', 'preprocessor'),
  def('--include-with-prefix-after', 'separate', 'preprocessor'),
  def('--include-with-prefix-after=', 'equals', 'preprocessor'),
  def('--include', 'separate', 'preprocessor', { path: true }),
  def('--include=', 'equals', 'preprocessor', { path: true }),
  def('--imacros', 'separate', 'preprocessor', { path: true }),
  def('--imacros=', 'equals', 'preprocessor', { path: true }),
  def('--define-macro', 'separate', 'preprocessor'),
  def('--define-macro=', 'equals', 'preprocessor'),
  def('--undefine-macro', 'separate', 'preprocessor'),
  def('--undefine-macro=', 'equals', 'preprocessor'),
  def('--no-standard-includes', 'none', 'preprocessor'),
  def('-Wp,', 'concatenated', 'preprocessor', { effect: 'preprocessorPassThrough' }),
  def('-Xpreprocessor', 'separate', 'preprocessor', { effect: 'preprocessorPassThrough' }),

  // --- dependency files: not given to the -E run -------------------------------------------
  def('-MD', 'none', 'dependency', { effect: 'writeDeps' }),
  def('-MMD', 'none', 'dependency', { effect: 'writeDeps' }),
  def('--write-dependencies', 'none', 'dependency', { effect: 'writeDeps' }),
  def('--write-user-dependencies', 'none', 'dependency', { effect: 'writeDeps' }),
  def('-M', 'none', 'dependency', { effect: 'depsOnly' }),
  def('-MM', 'none', 'dependency', { effect: 'depsOnly' }),
  def('--dependencies', 'none', 'dependency', { effect: 'depsOnly' }),
  def('--user-dependencies', 'none', 'dependency', { effect: 'depsOnly' }),
  def('-MF', 'separateOrConcatenated', 'dependency', { effect: 'depFile', path: true }),
  def('-MT', 'separateOrConcatenated', 'dependency'),
  def('-MQ', 'separateOrConcatenated', 'dependency'),
  def('-MP', 'none', 'dependency'),
  def('-MG', 'none', 'dependency'),
  def('--print-missing-file-dependencies', 'none', 'dependency'),

  // --- diagnostics colour: not in the key, the server forces it per client -----------------
  def('-fdiagnostics-color', 'none', 'color', { effect: 'colorAlways' }),
  def('-fdiagnostics-color=', 'equals', 'color', { effect: 'colorValue' }),
  def('-fno-diagnostics-color', 'none', 'color', { effect: 'colorNever' }),

  // --- debug info (common; the parser tracks whether it ends up on) ------------------------
  def('-g', 'concatenated', 'common', { effect: 'debugOn' }), // -g, -g3, -ggdb, -gdwarf-4 ...
  def('-g0', 'none', 'common', { effect: 'debugOff' }),
  def('-ggdb0', 'none', 'common', { effect: 'debugOff' }),
  def('-gtoggle', 'none', 'common', { effect: 'debugToggle' }),
  def('-gsplit-dwarf', 'none', 'common', { effect: 'splitDwarf' }),
  def('-gno-split-dwarf', 'none', 'common', { effect: 'noSplitDwarf' }),
  // -g flags that only tune debug info and do not turn it on (checked with readelf)
  def('-gno-', 'concatenated', 'common'),
  def('-gz', 'concatenated', 'common'),
  def('-gcolumn-info', 'none', 'common'),
  def('-gstrict-dwarf', 'none', 'common'),
  def('-grecord-gcc-switches', 'none', 'common'),
  def('-gpubnames', 'none', 'common'),
  def('-ggnu-pubnames', 'none', 'common'),
  def('-gdwarf32', 'none', 'common'),
  def('-gdwarf64', 'none', 'common'),
  def('-ginline-points', 'none', 'common'),
  def('-gstatement-frontiers', 'none', 'common'),
  def('-gvariable-location-views', 'concatenated', 'common'),
  def('-ginternal-reset-location-views', 'none', 'common'),
  def('-gas-loc-support', 'none', 'common'),
  def('-gas-locview-support', 'none', 'common'),
  def('-gdescribe-dies', 'none', 'common'),

  // --- coverage (common; the parser derives the .gcno) -------------------------------------
  def('--coverage', 'none', 'common', { effect: 'coverage' }),
  def('-ftest-coverage', 'none', 'common', { effect: 'testCoverage' }),
  def('-fno-test-coverage', 'none', 'common', { effect: 'noTestCoverage' }),
  def('-fprofile-arcs', 'none', 'common', { effect: 'profileArcs' }),
  def('-fno-profile-arcs', 'none', 'common', { effect: 'noProfileArcs' }),

  // --- profile feedback: reads or writes profile files the key cannot see ------------------
  def('-fprofile-generate', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fprofile-use', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fauto-profile', 'concatenated', 'tooHard', { reason: PROFILE }),
  def('-fprofile-dir=', 'equals', 'tooHard', { reason: PROFILE }),
  def('-fbranch-probabilities', 'none', 'tooHard', { reason: PROFILE }),
  def('-fprofile-note=', 'equals', 'tooHard'), // moves the .gcno

  // --- flags that write extra files or read files the key cannot see -----------------------
  def('-fdump-', 'concatenated', 'tooHard'),
  def('-fdump-noaddr', 'none', 'common'), // these only change the dumps' contents
  def('-fdump-unnumbered', 'none', 'common'),
  def('-fdump-unnumbered-links', 'none', 'common'),
  def('-fcallgraph-info', 'concatenated', 'tooHard'),
  def('-fstack-usage', 'none', 'tooHard'),
  def('-fopt-info', 'concatenated', 'common', { effect: 'fileAfterEquals' }),
  def('-aux-info', 'separate', 'tooHard'),
  def('-fsave-optimization-record', 'none', 'tooHard'),
  def('-fcompare-debug', 'concatenated', 'tooHard'),
  def('-fdiagnostics-format=sarif-file', 'none', 'tooHard'),
  def('-fdiagnostics-format=json-file', 'none', 'tooHard'),
  def('-fdiagnostics-add-output=', 'equals', 'tooHard'),
  def('-fdiagnostics-set-output=', 'equals', 'tooHard'),
  def('-fplugin=', 'equals', 'tooHard'), // the plugin's code is not in the key
  def('-fmodules-ts', 'none', 'tooHard'),
  def('-fmodule-mapper=', 'equals', 'tooHard'),
  def('-fmodule-header', 'concatenated', 'tooHard'),
  def('-fmodule-only', 'none', 'tooHard'),

  // --- common flags listed for their value shape or for the documentation ------------------
  def('-H', 'none', 'common'), // header tree on stderr: the compile's stderr is cached
  def('--sysroot', 'separate', 'common', { path: true }),
  def('--sysroot=', 'equals', 'common', { path: true }),
  def('-B', 'separateOrConcatenated', 'common'),
  def('-specs=', 'equals', 'common'),
  def('--specs', 'separate', 'common'),
  def('--specs=', 'equals', 'common'),
  def('--param', 'separate', 'common'),
  def('--param=', 'equals', 'common'),
  def('-imultilib', 'separateOrConcatenated', 'common'),
  def('-imultiarch', 'separate', 'common'),
  def('-iplugindir=', 'equals', 'common'),
  def('-frecord-gcc-switches', 'none', 'common'),

  // --- assembler pass-through: compile step only -------------------------------------------
  def('-Wa,', 'concatenated', 'compile', { effect: 'assemblerPassThrough' }),
  def('-Xassembler', 'separate', 'compile', { effect: 'assemblerPassThrough' }),

  // --- linker flags: unused with -c, kept in the key so a warning about them is right ------
  def('-Wl,', 'concatenated', 'linker'),
  def('-Xlinker', 'separate', 'linker'),
  def('-l', 'separateOrConcatenated', 'linker'),
  def('-L', 'separateOrConcatenated', 'linker'),
  def('-T', 'separateOrConcatenated', 'linker'),
  def('-u', 'separateOrConcatenated', 'linker'),
  def('-z', 'separate', 'linker'),
  def('-e', 'separate', 'linker'),
  def('-fuse-ld=', 'equals', 'linker'),
  def('-shared', 'none', 'linker'),
  def('-static', 'none', 'linker'),
  def('-static-libgcc', 'none', 'linker'),
  def('-static-libstdc++', 'none', 'linker'),
  def('-static-pie', 'none', 'linker'),
  def('-pie', 'none', 'linker'),
  def('-no-pie', 'none', 'linker'),
  def('-rdynamic', 'none', 'linker'),
  def('-s', 'none', 'linker'),
  def('-symbolic', 'none', 'linker'),
  def('-nostdlib', 'none', 'linker'),
  def('-nodefaultlibs', 'none', 'linker'),
  def('-nostartfiles', 'none', 'linker'),
  def('-nolibc', 'none', 'linker'),
];

export const GCC_RULES: FamilyRules = {
  flags: GCC_FLAGS,
  splitDwarfNeedsDebugInfo: false,
  leadingDotIsSuffix: false,
};
