// Expansion of `@file` arguments the way gcc (libiberty's expandargv) and clang's GNU
// tokenizer do it, so the parser sees the arguments the compiler will see.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export type ExpandResult = { ok: true; args: string[] } | { ok: false };

/** Deeper nesting than this is taken as a cycle (a file that names itself). */
const MAX_DEPTH = 32;

/**
 * Replaces every `@file` argument by the arguments in that file, recursively. Names are
 * relative to `cwd`, also inside nested files (checked with gcc 12 and clang 14). A file that
 * cannot be read makes the call uncacheable: gcc would keep `@file` as a literal argument and
 * fail on it, and the real compiler should report that itself. Without any `@` argument the
 * input array is returned as is.
 */
export function expandResponseFiles(args: string[], cwd: string): ExpandResult {
  if (!args.some(isResponseFileArg)) return { ok: true, args };
  const out: string[] = [];
  return appendExpanded(args, cwd, 0, out) ? { ok: true, args: out } : { ok: false };
}

function isResponseFileArg(arg: string): boolean {
  return arg.charCodeAt(0) === 64; // '@'
}

function appendExpanded(args: readonly string[], cwd: string, depth: number, out: string[]): boolean {
  for (const arg of args) {
    if (!isResponseFileArg(arg)) {
      out.push(arg);
      continue;
    }
    if (depth >= MAX_DEPTH || arg.length === 1) return false;
    let text: string;
    try {
      text = readFileSync(resolve(cwd, arg.slice(1)), 'utf8');
    } catch {
      return false;
    }
    if (!appendExpanded(tokenizeResponseFile(text), cwd, depth + 1, out)) return false;
  }
  return true;
}

function isSpace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\v' || char === '\f';
}

/**
 * Splits response-file text into arguments: whitespace separates; '...' and "..." quote
 * (quotes may sit inside a word: a"b c"d is one argument); a backslash takes the next character
 * literally, inside quotes too; '' is an empty argument.
 */
export function tokenizeResponseFile(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false; // also true for an argument that is only '' so it is kept
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') {
      if (i + 1 < text.length) current += text[++i];
      inArg = true;
    } else if (quote) {
      if (char === quote) quote = '';
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inArg = true;
    } else if (isSpace(char)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += char;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}
