// Source language of the input: from `-x LANG` when given before it, else from the file's
// extension (gcc's rules, case-sensitive: .C is C++, .S is assembler that needs cpp).

import type { Language, NotCacheableReason } from './types';

export type LanguageResult = { ok: true; language: Language } | { ok: false; reason: NotCacheableReason };

const BY_EXTENSION: ReadonlyMap<string, Language> = new Map<string, Language>([
  ['c', 'c'],
  ['cc', 'c++'],
  ['cp', 'c++'],
  ['cxx', 'c++'],
  ['cpp', 'c++'],
  ['CPP', 'c++'],
  ['c++', 'c++'],
  ['C', 'c++'],
  ['m', 'objective-c'],
  ['mm', 'objective-c++'],
  ['M', 'objective-c++'],
  ['S', 'assembler-with-cpp'],
  ['sx', 'assembler-with-cpp'],
]);

/** Header extensions: compiling one produces a precompiled header, not an object. */
const HEADER_EXTENSIONS: ReadonlySet<string> = new Set(['h', 'hh', 'H', 'hp', 'hxx', 'hpp', 'HPP', 'h++', 'tcc']);

const X_VALUES: ReadonlySet<string> = new Set<Language>(['c', 'c++', 'objective-c', 'objective-c++', 'assembler-with-cpp']);

const X_HEADER_VALUES: ReadonlySet<string> = new Set(['c-header', 'c++-header', 'objective-c-header', 'objective-c++-header']);

/** The text after the last '.' of the file's basename, or '' when there is none. */
export function extensionOf(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1);
}

/** Language for `file` given the `-x` value in effect before it (undefined: none given). */
export function resolveLanguage(file: string, xValue: string | undefined): LanguageResult {
  return xValue === undefined ? languageFromExtension(file) : languageFromOption(xValue);
}

export function languageFromOption(value: string): LanguageResult {
  if (X_VALUES.has(value)) return { ok: true, language: value as Language };
  if (X_HEADER_VALUES.has(value)) return { ok: false, reason: 'precompiled header output' };
  return { ok: false, reason: 'unsupported language' }; // assembler, cpp-output, cuda ...
}

export function languageFromExtension(file: string): LanguageResult {
  const extension = extensionOf(file);
  const language = BY_EXTENSION.get(extension);
  if (language) return { ok: true, language };
  if (HEADER_EXTENSIONS.has(extension)) return { ok: false, reason: 'precompiled header output' };
  return { ok: false, reason: 'unsupported language' }; // .s, .i, .ii, .o, no extension ...
}
