// Types shared by the flag tables and the generic argument parser.
// A parsed command line says whether the call can be cached and, if so, which arguments go
// to the preprocessor, which to the compile step, and which files the compile writes.

export type CompilerFamily = 'gcc' | 'clang';

export type Language = 'c' | 'c++' | 'objective-c' | 'objective-c++' | 'assembler-with-cpp';

/** Why a call is passed straight to the real compiler. Stable strings: shown in stats. */
export type NotCacheableReason =
  | 'no -c (linking or other)'
  | 'preprocess only (-E)'
  | 'dependencies only (-M/-MM without -MD/-MMD)'
  /** -M/-MM win over -MD/-MMD: gcc and clang then write only the .d file (and an empty -o) */
  | 'dependencies only (-M/-MM)'
  | 'multiple input files'
  | 'no input file'
  | 'input from stdin'
  | '-save-temps'
  | 'unsupported language'
  | 'output to stdout (-o -)'
  | 'unreadable response file'
  | 'syntax only (-fsyntax-only)'
  | 'precompiled header output'
  | 'profile generation/use without fixed path'
  | 'dependency output via environment'
  | 'multiple -arch'
  | 'missing argument'
  | 'output to /dev/null'
  | `unsupported flag ${string}`;

/** Role of a flag in the table: decides cacheability and where the flag goes. */
export type FlagRole =
  /** affects only preprocessing (-I, -D, -include ...): hashed via the preprocessed text */
  | 'preprocessor'
  /** affects compilation: part of the key, passed to the compile */
  | 'compile'
  /** affects both: passed to preprocessor and compiler, part of the key (-std=, -m32, -f...) */
  | 'common'
  /** dependency-file generation (-MD, -MF ...): not given to the preprocessing run */
  | 'dependency'
  /** output file (-o) */
  | 'output'
  /** -x LANG */
  | 'language'
  /** -c */
  | 'compileOnly'
  /** diagnostics colour control: not in the key */
  | 'color'
  /** makes the call uncacheable; `reason` on the entry says why */
  | 'tooHard'
  /** consumed by the driver for linking only; harmless with -c, kept in key */
  | 'linker';

/** How a flag takes its value. */
export type FlagValueShape =
  | 'none' //            -c
  | 'separate' //        -o out   (value is the next argument)
  | 'concatenated' //    -DFOO    (value attached, may be empty for some flags)
  | 'separateOrConcatenated' // -I dir | -Idir
  | 'equals'; //         -std=c11 (prefix includes the '=')

/** What the generic parser learns from a flag beyond where its arguments go. Synonyms
 *  (e.g. `--write-dependencies` for `-MD`) share the effect, so the parser never matches on
 *  spellings. */
export type FlagEffect =
  /** -MD, -MMD: a dependency file is written as a side effect of the compile */
  | 'writeDeps'
  /** -M, -MM: the run lists dependencies instead of compiling */
  | 'depsOnly'
  /** -MF FILE: where the dependency file goes */
  | 'depFile'
  /** -g, -g2, -ggdb, -gdwarf-4 ...: debug info on */
  | 'debugOn'
  /** -g0, -ggdb0: debug info off */
  | 'debugOff'
  /** gcc -gtoggle: flips the final debug state */
  | 'debugToggle'
  /** -gsplit-dwarf: a .dwo is written beside the object */
  | 'splitDwarf'
  | 'noSplitDwarf'
  /** clang -gsplit-dwarf=split|single (single writes no .dwo) */
  | 'splitDwarfMode'
  /** --coverage: -fprofile-arcs plus -ftest-coverage, regardless of -fno- forms */
  | 'coverage'
  /** -ftest-coverage: a .gcno is written beside the object */
  | 'testCoverage'
  | 'noTestCoverage'
  /** -fprofile-arcs: instrumentation that names a .gcda file */
  | 'profileArcs'
  | 'noProfileArcs'
  /** colour flags: fixed value, or taken from the flag's value (always|never|auto) */
  | 'colorAlways'
  | 'colorNever'
  | 'colorValue'
  /** clang -arch: counted, several make a universal binary */
  | 'arch'
  /** -Wp,... / -Xpreprocessor ...: cacheable only when carrying -D/-U/-I */
  | 'preprocessorPassThrough'
  /** -Wa,... / -Xassembler ...: listings and dependency output write extra files */
  | 'assemblerPassThrough'
  /** -fopt-info...=FILE writes a file; the same flag without '=' writes to stderr */
  | 'fileAfterEquals';

export interface FlagSpec {
  /** spelling, e.g. "-o", "-I", "-std=" */
  flag: string;
  shape: FlagValueShape;
  role: FlagRole;
  /** for role 'tooHard': the reason counted in stats; without it the reason is
   *  `unsupported flag <the flag as written, with its value>` */
  reason?: NotCacheableReason;
  effect?: FlagEffect;
  /** the value names a file or directory: WARMCC_BASEDIRS may rewrite it relative to the
   *  working directory */
  path?: true;
}

/** A compiler family's flag table and the few naming rules that are not per flag. */
export interface FamilyRules {
  flags: readonly FlagSpec[];
  /** clang writes a .dwo only when debug info is on; gcc whenever -gsplit-dwarf is in effect */
  splitDwarfNeedsDebugInfo: boolean;
  /** whether a basename's leading '.' starts a suffix when naming the default object and the
   *  .d/.dwo/.gcno files: clang names `-c -x c .foo` → `.o`, gcc → `.foo.o`; for `-o out/.hid`
   *  clang writes `out/.gcno`, gcc `out/.hid.gcno`. (Both write `out/.d` there: the .d name
   *  from -o always strips.) */
  leadingDotIsSuffix: boolean;
}

/** Files a successful compile writes, besides stdout/stderr. Paths are as the compiler sees
 *  them (relative to the request's cwd when not absolute). */
export interface ExpectedOutputs {
  object: string;
  /** -MD/-MMD dependency file, when requested */
  depFile?: string;
  /** -gsplit-dwarf */
  dwo?: string;
  /** --coverage / -ftest-coverage */
  gcno?: string;
}

export type DiagnosticsColor = 'auto' | 'always' | 'never';

export interface CacheableCompile {
  cacheable: true;
  inputFile: string;
  language: Language;
  /** whether -x was given explicitly (then it must be passed before the input) */
  explicitLanguage: boolean;
  outputs: ExpectedOutputs;
  /** args for the `-E` run: everything but -c, -o, dependency and colour flags, input */
  preprocessorArgs: string[];
  /** args that affect the compile step and so go into the key (normalised, order kept;
   *  excludes preprocessor-only flags, -o, input, colour and dependency flags) */
  keyArgs: string[];
  /** dependency-flag args (e.g. ["-MMD", "-MT", "x.o", "-MP"]): go into the key when a
   *  dependency file is written, since they shape its contents */
  dependencyArgs: string[];
  /** the full argument list after expanding @response files, for running the real compile */
  expandedArgs: string[];
  color: DiagnosticsColor;
  /** -g in effect (debug info names the working directory) */
  debugInfo: boolean;
  /** --coverage / -ftest-coverage / -fprofile-arcs in effect */
  coverage: boolean;
  splitDwarf: boolean;
}

export interface NotCacheableCompile {
  cacheable: false;
  reason: NotCacheableReason;
}

export type ParsedCompile = CacheableCompile | NotCacheableCompile;
