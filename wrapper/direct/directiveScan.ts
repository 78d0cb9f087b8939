// What direct mode needs to know from a file's text, read the way the preprocessor reads it:
// comments are not code, string literals are not identifiers, and a directive is one logical
// line. A word in a comment ("uses __DATE__"), a `#define __has_include(x) 0` fallback, or a
// probe through a wrapper macro (`#define XYZ_HAS_INCLUDE(x) __has_include(x)`, then
// `#if XYZ_HAS_INCLUDE(<string_view>)`) must not refuse direct mode; a probe whose header name
// cannot be known must. Wrappers and probes are resolved across all the files of a compile
// (resolveProbes), since a wrapper is usually defined in one header and used in others.

/** The argument of a function-like macro call in a directive. */
export type CallArgument =
  /** a header name: <x> or "x" (without the delimiters, and which kind) */
  | { header: string; angled: boolean }
  /** one identifier: a macro parameter, or an object-like macro that may name a header */
  | { identifier: string }
  /** anything else (an expression, token pasting, nothing): cannot be known here */
  | { computed: string };

export interface ProbeScan {
  /** calls of function-like macros in #if/#elif lines and in #define bodies, __has_include and
   *  __has_include_next included: [callee, argument] */
  calls: [callee: string, argument: CallArgument][];
  /** function-like macros that hand their parameter to another function-like macro:
   *  name → callees (a wrapper of __has_include if one of them is, transitively); a macro that
   *  uses its parameter in any other way around a callee (inside <...>, pasted) maps to '' */
  forwards: Record<string, string[]>;
  /** object-like macros defined as a header name (#define CONFIG_H "config.h") */
  headerNames: Record<string, { header: string; angled: boolean }[]>;
}

export interface DirectiveScan {
  /** __TIME__, __DATE__ or __TIMESTAMP__ as code (not in a comment or string) */
  usesTimeMacros: boolean;
  probes: ProbeScan;
  /** `#pragma GCC dependency` (or its _Pragma form): whether it warns, or with -Werror fails,
   *  depends on another file's mtime, which no manifest records */
  usesDependencyPragma: boolean;
  /** #embed or __has_embed (C23; gcc 15, clang 19): the embedded file leaves no line marker */
  usesEmbed: boolean;
  /** `.incbin` or `.include` (assembler directives, also in inline asm): the assembler reads a
   *  file the preprocessor never sees */
  usesAssemblerInput: boolean;
  /** an #include/#include_next that is not <...> ("..." or a macro): searched in the file's
   *  own directory first */
  hasQuoteIncludes: boolean;
}

const PROBE_FUNCTIONS = ['__has_include', '__has_include_next'];
// comments, and string and character literals (a "/*" in a string is not a comment)
const COMMENTS_AND_LITERALS = /\/\*[\s\S]*?(?:\*\/|$)|\/\/(?:[^\n\\]|\\[\s\S])*|"(?:[^"\\\n]|\\[\s\S])*"|'(?:[^'\\\n]|\\[\s\S])*'/g;
// a directive's logical line: `#`, optional blanks, the name, the rest with its continuations
const DIRECTIVE = /^[ \t]*#[ \t]*([a-z_]+)\b((?:[^\n\\]|\\[\s\S])*)/gm;
const TIME_MACRO = /\b(?:__TIME__|__DATE__|__TIMESTAMP__)\b/;
const HAS_EMBED = /\b__has_embed\b/;
const DEPENDENCY_PRAGMA = /^\s*GCC\s+dependency\b/;
const DEPENDENCY_PRAGMA_OPERATOR = /\b_Pragma\s*\(\s*"\s*GCC\s+dependency\b/;
const ASSEMBLER_INPUT = /\.incbin\b|(?:^|["\s;])\.include\b/m;
const IDENTIFIER = /^[A-Za-z_]\w*$/;
const CALL_START = /\b([A-Za-z_]\w*)\s*\(/g;
const DEFINE = /^\s*([A-Za-z_]\w*)(\(([^)]*)\))?([\s\S]*)$/;

/** Blanks out comments (keeping their newlines); string and character literals are kept, or
 *  blanked too (keeping their quotes) with `literals`. */
function blanked(text: string, literals: boolean): string {
  return text.replace(COMMENTS_AND_LITERALS, (match) => {
    if (match.startsWith('/')) return match.replace(/[^\n]/g, ' ');
    if (!literals) return match;
    return match[0]! + match.slice(1, -1).replace(/[^\n]/g, ' ') + match[match.length - 1]!;
  });
}

/** The text inside the parentheses that open at `open` (balanced), or undefined if unclosed. */
function parenthesised(text: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

/** whether `word` appears in `text` as a whole identifier */
function wordIn(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const before = text[at - 1];
    const after = text[at + word.length];
    if (!(before && /\w/.test(before)) && !(after && /\w/.test(after))) return true;
  }
  return false;
}

function classify(argument: string): CallArgument {
  const trimmed = argument.replace(/\\\n/g, ' ').trim();
  const header = /^<([^<>]+)>$/.exec(trimmed) ?? /^"([^"]+)"$/.exec(trimmed);
  if (header) return { header: header[1]!.trim(), angled: trimmed.startsWith('<') };
  if (IDENTIFIER.test(trimmed)) return { identifier: trimmed };
  return { computed: trimmed };
}

/** Every `name(argument)` call in a directive's text (`defined` excepted). */
function callsIn(text: string): [string, string][] {
  const calls: [string, string][] = [];
  CALL_START.lastIndex = 0;
  for (let match = CALL_START.exec(text); match; match = CALL_START.exec(text)) {
    const name = match[1]!;
    if (name === 'defined') continue;
    const argument = parenthesised(text, match.index + match[0].length - 1);
    if (argument !== undefined) calls.push([name, argument]);
  }
  return calls;
}

function scanProbes(code: string): ProbeScan {
  const scan: ProbeScan = { calls: [], forwards: {}, headerNames: {} };
  DIRECTIVE.lastIndex = 0;
  for (let directive = DIRECTIVE.exec(code); directive; directive = DIRECTIVE.exec(code)) {
    const [, name, rest] = directive as unknown as [string, string, string];
    if (name === 'if' || name === 'elif') {
      for (const [callee, argument] of callsIn(rest)) scan.calls.push([callee, classify(argument)]);
    } else if (name === 'define') {
      const definition = DEFINE.exec(rest);
      if (!definition) continue;
      const [, macro, parameterList, parameters, body] = definition as unknown as [string, string, string | undefined, string | undefined, string];
      // defining or undefining the probe itself (a fallback for old compilers) probes nothing
      if (PROBE_FUNCTIONS.includes(macro)) continue;
      if (parameterList === undefined) {
        const header = classify(body);
        if ('header' in header) (scan.headerNames[macro] ??= []).push(header);
      }
      const parameterNames = (parameters ?? '')
        .split(',')
        .map((parameter) => parameter.trim())
        .filter(Boolean);
      for (const [callee, argument] of callsIn(body)) {
        const classified = classify(argument);
        if ('identifier' in classified && parameterNames.includes(classified.identifier)) {
          (scan.forwards[macro] ??= []).push(callee);
        } else if (parameterNames.some((parameter) => wordIn(argument, parameter))) {
          // the parameter inside <...>, pasted or stringified: the name is built at expansion
          (scan.forwards[macro] ??= []).push(callee, '');
        } else {
          scan.calls.push([callee, classified]);
        }
      }
    }
  }
  return scan;
}

/** Scans a file's text (decoded latin1: the bytes as they are). `content` is the raw file, for
 *  quick searches that skip the scans a file cannot need. */
export function scanDirectives(content: Buffer, text: string): DirectiveScan {
  const code = blanked(text, false);
  // only what can matter is scanned twice
  const codeOnly = content.includes('__T') || content.includes('__D') || content.includes('__has_embed') ? blanked(text, true) : code;
  let usesDependencyPragma = false;
  let usesEmbed = false;
  let hasQuoteIncludes = false;
  DIRECTIVE.lastIndex = 0;
  for (let directive = DIRECTIVE.exec(code); directive; directive = DIRECTIVE.exec(code)) {
    const [, name, rest] = directive as unknown as [string, string, string];
    if (name === 'pragma' && DEPENDENCY_PRAGMA.test(rest)) usesDependencyPragma = true;
    else if (name === 'embed') usesEmbed = true;
    else if ((name === 'include' || name === 'include_next') && !rest.trimStart().startsWith('<')) hasQuoteIncludes = true;
  }
  return {
    usesTimeMacros: (content.includes('__TIME__') || content.includes('__DATE__') || content.includes('__TIMESTAMP__')) && TIME_MACRO.test(codeOnly),
    probes: scanProbes(code),
    usesDependencyPragma: usesDependencyPragma || (content.includes('dependency') && DEPENDENCY_PRAGMA_OPERATOR.test(code)),
    usesEmbed: usesEmbed || (content.includes('__has_embed') && HAS_EMBED.test(codeOnly)),
    // inline asm is a string literal: comments are blanked, literals kept
    usesAssemblerInput: (content.includes('.incbin') || content.includes('.include')) && ASSEMBLER_INPUT.test(code),
    hasQuoteIncludes,
  };
}

/** The header names a compile probed, from the scans of every file it read, or why they cannot
 *  be known: per file, the names its own directives probe (directly, through wrapper macros
 *  defined in any of the files, or through object-like macros naming a header). */
export function resolveProbes(scans: readonly ProbeScan[]): Map<number, string[]> | 'computed' {
  // the probe functions: __has_include and every macro that hands its parameter on to one
  const forwards = new Map<string, Set<string>>();
  for (const scan of scans)
    for (const [macro, callees] of Object.entries(scan.forwards))
      for (const callee of callees) (forwards.get(macro) ?? forwards.set(macro, new Set()).get(macro)!).add(callee);
  const probing = new Set(PROBE_FUNCTIONS);
  const computedWrappers = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [macro, callees] of forwards) {
      if (probing.has(macro)) continue;
      if ([...callees].some((callee) => probing.has(callee))) {
        probing.add(macro);
        changed = true;
      }
    }
  }
  for (const [macro, callees] of forwards) if (probing.has(macro) && callees.has('')) computedWrappers.add(macro);
  const headerNames = new Map<string, Set<string>>();
  for (const scan of scans)
    for (const [macro, names] of Object.entries(scan.headerNames))
      for (const { header } of names) (headerNames.get(macro) ?? headerNames.set(macro, new Set()).get(macro)!).add(header);

  const probed = new Map<number, string[]>();
  for (const [index, scan] of scans.entries()) {
    const names: string[] = [];
    for (const [callee, argument] of scan.calls) {
      if (!probing.has(callee)) continue;
      if (computedWrappers.has(callee)) return 'computed';
      if ('header' in argument) names.push(argument.header);
      else if ('identifier' in argument && headerNames.get(argument.identifier)?.size === 1) names.push([...headerNames.get(argument.identifier)!][0]!);
      else return 'computed';
    }
    if (names.length) probed.set(index, names);
  }
  return probed;
}
