// The generic compiler command-line parser: walks the arguments once, looks each flag up in the
// family's table (longest prefix), sorts it by its role and decides whether the call can be
// cached, which arguments go to the -E run and the key, and which files the compile writes.

import { CLANG_RULES } from './clangFlags';
import { GCC_RULES } from './gccFlags';
import { resolveLanguage } from './language';
import { expandResponseFiles } from './responseFile';
import type {
  CacheableCompile,
  CompilerFamily,
  DiagnosticsColor,
  ExpectedOutputs,
  FamilyRules,
  FlagEffect,
  FlagSpec,
  FlagValueShape,
  NotCacheableReason,
  ParsedCompile,
} from './types';

// --- flag lookup ------------------------------------------------------------------------------

interface TrieNode {
  next: Map<number, TrieNode>;
  spec?: FlagSpec;
}

/** Whether an argument whose first `flag.length` characters are the flag is an instance of it:
 *  an exact match always is, a longer argument only when the value may be attached. */
function acceptsArg(shape: FlagValueShape, exact: boolean): boolean {
  return exact || shape === 'concatenated' || shape === 'separateOrConcatenated' || shape === 'equals';
}

/** Longest-prefix lookup over one flag table: a character trie, so a lookup costs one step per
 *  character of the argument whatever the table's size. */
export class FlagTable {
  private readonly root: TrieNode = { next: new Map() };

  constructor(flags: readonly FlagSpec[]) {
    for (const spec of flags) this.insert(spec);
  }

  private insert(spec: FlagSpec): void {
    let node = this.root;
    for (let i = 0; i < spec.flag.length; i++) {
      const code = spec.flag.charCodeAt(i);
      let child = node.next.get(code);
      if (!child) node.next.set(code, (child = { next: new Map() }));
      node = child;
    }
    node.spec = spec;
  }

  /** The longest entry `arg` is an instance of (so `-MF` beats `-M` for `-MFx.d`, and `-M`
   *  is not taken for `-Mfoo`); undefined when there is none. */
  match(arg: string): FlagSpec | undefined {
    let best: FlagSpec | undefined;
    let node: TrieNode | undefined = this.root;
    for (let i = 0; node; i++) {
      if (node.spec && acceptsArg(node.spec.shape, i === arg.length)) best = node.spec;
      if (i === arg.length) break;
      node = node.next.get(arg.charCodeAt(i));
    }
    return best;
  }
}

const RULES: Readonly<Record<CompilerFamily, FamilyRules>> = { gcc: GCC_RULES, clang: CLANG_RULES };
const tables = new Map<CompilerFamily, FlagTable>();

/** The family's lookup, built on first use and kept for every later compile. */
function tableFor(family: CompilerFamily): FlagTable {
  let table = tables.get(family);
  if (!table) tables.set(family, (table = new FlagTable(RULES[family].flags)));
  return table;
}

// --- scanning ---------------------------------------------------------------------------------

/** What one pass over the arguments found. */
interface Scan {
  inputs: { file: string; xValue: string | undefined }[];
  /** the -x value in effect at this point (undefined: none, or `-x none`) */
  xValue: string | undefined;
  output: string | undefined;
  compileOnly: boolean;
  writeDeps: boolean;
  depsOnly: boolean;
  depFile: string | undefined;
  color: DiagnosticsColor;
  debug: boolean;
  debugToggle: boolean;
  splitDwarf: boolean;
  coverageFlag: boolean;
  testCoverage: boolean;
  profileArcs: boolean;
  archCount: number;
  preprocessorArgs: string[];
  keyArgs: string[];
  dependencyArgs: string[];
}

function newScan(): Scan {
  return {
    inputs: [],
    xValue: undefined,
    output: undefined,
    compileOnly: false,
    writeDeps: false,
    depsOnly: false,
    depFile: undefined,
    color: 'auto',
    debug: false,
    debugToggle: false,
    splitDwarf: false,
    coverageFlag: false,
    testCoverage: false,
    profileArcs: false,
    archCount: 0,
    preprocessorArgs: [],
    keyArgs: [],
    dependencyArgs: [],
  };
}

function takesSeparateValue(spec: FlagSpec, arg: string): boolean {
  return spec.shape === 'separate' || (spec.shape === 'separateOrConcatenated' && arg.length === spec.flag.length);
}

/** One pass over the expanded arguments; stops at the first thing that cannot be cached. */
function scanArgs(table: FlagTable, args: readonly string[]): Scan | NotCacheableReason {
  const scan = newScan();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    // '-' alone is stdin: an input like any other non-flag
    if (arg.length < 2 || arg.charCodeAt(0) !== 45 /* '-' */) {
      scan.inputs.push({ file: arg, xValue: scan.xValue });
      continue;
    }
    const spec = table.match(arg);
    if (!spec) {
      // unknown flags are common: passed to both runs and part of the key
      scan.preprocessorArgs.push(arg);
      scan.keyArgs.push(arg);
      continue;
    }
    const separate = takesSeparateValue(spec, arg);
    if (separate && i + 1 >= args.length) return 'missing argument';
    const value = separate ? args[++i]! : arg.slice(spec.flag.length);
    const reason = applyFlag(scan, spec, separate ? [arg, value] : [arg], value);
    if (reason) return reason;
  }
  return scan;
}

function unsupported(tokens: readonly string[]): NotCacheableReason {
  return `unsupported flag ${tokens.join(' ')}`;
}

/** Files the argument lists by role, then applies the flag's effect. */
function applyFlag(scan: Scan, spec: FlagSpec, tokens: string[], value: string): NotCacheableReason | undefined {
  switch (spec.role) {
    case 'tooHard':
      return spec.reason ?? unsupported(tokens);
    case 'preprocessor':
      scan.preprocessorArgs.push(...tokens);
      break;
    case 'compile':
      scan.keyArgs.push(...tokens);
      break;
    case 'common':
    case 'linker':
      scan.preprocessorArgs.push(...tokens);
      scan.keyArgs.push(...tokens);
      break;
    case 'dependency':
      scan.dependencyArgs.push(...tokens);
      break;
    case 'output':
      scan.output = value;
      break;
    case 'language':
      scan.xValue = value === 'none' ? undefined : value;
      break;
    case 'compileOnly':
      scan.compileOnly = true;
      break;
    case 'color':
      break; // only the effect matters: never in the key nor the -E run
  }
  return spec.effect ? applyEffect(scan, spec.effect, tokens, value) : undefined;
}

function applyEffect(scan: Scan, effect: FlagEffect, tokens: string[], value: string): NotCacheableReason | undefined {
  switch (effect) {
    case 'writeDeps':
      scan.writeDeps = true;
      break;
    case 'depsOnly':
      scan.depsOnly = true;
      break;
    case 'depFile':
      scan.depFile = value;
      break;
    case 'debugOn':
      scan.debug = true;
      break;
    case 'debugOff':
      scan.debug = false;
      break;
    case 'debugToggle':
      scan.debugToggle = true;
      break;
    case 'splitDwarf':
      scan.splitDwarf = true;
      break;
    case 'noSplitDwarf':
      scan.splitDwarf = false;
      break;
    case 'splitDwarfMode':
      scan.splitDwarf = value === 'split'; // 'single' keeps the DWARF in the object
      break;
    case 'coverage':
      scan.coverageFlag = true;
      break;
    case 'testCoverage':
    case 'noTestCoverage':
      scan.testCoverage = effect === 'testCoverage';
      break;
    case 'profileArcs':
    case 'noProfileArcs':
      scan.profileArcs = effect === 'profileArcs';
      break;
    case 'colorAlways':
      scan.color = 'always';
      break;
    case 'colorNever':
      scan.color = 'never';
      break;
    case 'colorValue':
      scan.color = value === 'always' || value === 'never' ? value : 'auto';
      break;
    case 'arch':
      scan.archCount++;
      break;
    case 'preprocessorPassThrough':
      return preprocessorPassThroughIsSafe(passThroughParts(tokens, value)) ? undefined : unsupported(tokens);
    case 'assemblerPassThrough':
      return checkAssemblerPassThrough(scan, passThroughParts(tokens, value)) ? undefined : unsupported(tokens);
    case 'fileAfterEquals':
      return value.includes('=') ? unsupported(tokens) : undefined;
  }
  return undefined;
}

/** The arguments a pass-through flag hands on: `-Wp,a,b` carries a and b, `-Xpreprocessor a`
 *  carries a alone. */
function passThroughParts(tokens: readonly string[], value: string): string[] {
  return tokens.length === 2 ? [value] : value.split(',');
}

/** Only -D/-U/-I (value attached, or in the next part) can be hashed via the -E output;
 *  anything else (-MD,file, -MMD,file ...) may write files or change the run unseen. */
function preprocessorPassThroughIsSafe(parts: readonly string[]): boolean {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!/^-[DUI]/.test(part)) return false;
    if (part.length === 2 && ++i >= parts.length) return false;
  }
  return true;
}

/** Assembler listings (-a...) and dependency output (--MD) write files; gas debug options name
 *  the working directory, like -g. */
function checkAssemblerPassThrough(scan: Scan, parts: readonly string[]): boolean {
  for (const part of parts) {
    if (/^-a/.test(part) || part === '--MD') return false;
    if (part === '-g' || part === '--gen-debug' || /^--g(dwarf|stabs)/.test(part)) scan.debug = true;
  }
  return true;
}

// --- outputs ----------------------------------------------------------------------------------

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `path` with its last suffix (from the basename's last '.') replaced by `suffix`; a basename
 *  that starts with its only '.' counts as having a suffix when `leadingDotIsSuffix`. */
export function replaceSuffix(path: string, suffix: string, leadingDotIsSuffix: boolean): string {
  const start = path.lastIndexOf('/') + 1;
  const dot = path.lastIndexOf('.');
  const hasSuffix = dot > start || (dot === start && leadingDotIsSuffix);
  return (hasSuffix ? path.slice(0, dot) : path) + suffix;
}

/** The files the compile writes, named as gcc 12 / clang 14 name them (see compiler-flags.md). */
function expectedOutputs(rules: FamilyRules, scan: Scan, input: string, debugInfo: boolean): ExpectedOutputs {
  const dotSuffix = rules.leadingDotIsSuffix;
  const object = scan.output ?? replaceSuffix(basename(input), '.o', dotSuffix);
  const outputs: ExpectedOutputs = { object };
  if (scan.writeDeps) {
    const depFile = scan.depFile ?? (scan.output !== undefined ? replaceSuffix(scan.output, '.d', true) : replaceSuffix(basename(input), '.d', dotSuffix));
    // the compile writes /dev/null itself; the cache must never replace it by a file
    if (depFile !== '/dev/null') outputs.depFile = depFile;
  }
  if (scan.splitDwarf && (debugInfo || !rules.splitDwarfNeedsDebugInfo)) outputs.dwo = replaceSuffix(object, '.dwo', dotSuffix);
  if (scan.coverageFlag || scan.testCoverage) outputs.gcno = replaceSuffix(object, '.gcno', dotSuffix);
  return outputs;
}

// --- entry point ------------------------------------------------------------------------------

function notCacheable(reason: NotCacheableReason): ParsedCompile {
  return { cacheable: false, reason };
}

/** The reason a fully scanned call is still not a cacheable compile, if any. */
function wholeCallReason(scan: Scan): NotCacheableReason | undefined {
  if (scan.depsOnly) return scan.writeDeps ? 'dependencies only (-M/-MM)' : 'dependencies only (-M/-MM without -MD/-MMD)';
  if (!scan.compileOnly) return 'no -c (linking or other)';
  if (scan.inputs.length === 0) return 'no input file';
  if (scan.inputs.length > 1) return 'multiple input files';
  if (scan.inputs[0]!.file === '-') return 'input from stdin';
  if (scan.output === '-') return 'output to stdout (-o -)';
  if (scan.output === '/dev/null') return 'output to /dev/null';
  if (scan.archCount > 1) return 'multiple -arch';
  return undefined;
}

/** Parses a compiler command line (`args` without argv[0]) run in `cwd`. */
export function parseCompilerArgs(family: CompilerFamily, args: string[], cwd: string): ParsedCompile {
  const expanded = expandResponseFiles(args, cwd);
  if (!expanded.ok) return notCacheable('unreadable response file');
  const scan = scanArgs(tableFor(family), expanded.args);
  if (typeof scan === 'string') return notCacheable(scan);
  const reason = wholeCallReason(scan);
  if (reason) return notCacheable(reason);

  const input = scan.inputs[0]!;
  const language = resolveLanguage(input.file, input.xValue);
  if (!language.ok) return notCacheable(language.reason);

  const rules = RULES[family];
  const debugInfo = scan.debug !== scan.debugToggle;
  const outputs = expectedOutputs(rules, scan, input.file, debugInfo);
  const compile: CacheableCompile = {
    cacheable: true,
    inputFile: input.file,
    language: language.language,
    explicitLanguage: input.xValue !== undefined,
    outputs,
    preprocessorArgs: scan.preprocessorArgs,
    keyArgs: scan.keyArgs,
    dependencyArgs: scan.dependencyArgs,
    expandedArgs: expanded.args,
    color: scan.color,
    debugInfo,
    coverage: scan.coverageFlag || scan.testCoverage || scan.profileArcs,
    splitDwarf: outputs.dwo !== undefined,
  };
  return compile;
}

// --- path rewriting (WARMCC_BASEDIRS) ---------------------------------------------------------

/** `args` (response files already expanded) with every input file and every path-valued flag
 *  value (the table's `path` entries: -I, -include, -o, -MF, --sysroot ...) passed through
 *  `rewrite`. Anything else — -D values, unknown flags — is left alone: rewriting text the
 *  compiler does not treat as a path would change what it compiles. */
export function rewritePathArgs(family: CompilerFamily, args: readonly string[], rewrite: (path: string) => string): string[] {
  const table = tableFor(family);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || arg.charCodeAt(0) !== 45 /* '-' */) {
      out.push(arg === '-' ? arg : rewrite(arg));
      continue;
    }
    const spec = table.match(arg);
    if (!spec) {
      out.push(arg);
      continue;
    }
    if (takesSeparateValue(spec, arg)) {
      out.push(arg);
      if (i + 1 < args.length) {
        const value = args[++i]!;
        out.push(spec.path ? rewrite(value) : value);
      }
      continue;
    }
    out.push(spec.path ? spec.flag + rewrite(arg.slice(spec.flag.length)) : arg);
  }
  return out;
}
