// Reading the make-syntax dependency file gcc and clang write with -MD (depend mode's source of
// the include list): `target: source header.h \` with continuation lines, spaces escaped as
// "\ ", '#' as "\#" and '$' as "$$". Only the first rule counts; -MP's phony rules follow it.

import * as path from 'node:path';

/** The prerequisites of the first rule, resolved against `cwd`; undefined when the text has
 *  no rule (a truncated or foreign file). */
export function parseDependencyFile(text: string, cwd: string): string[] | undefined {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const firstRule = joined.split(/\r?\n/).find((line) => line.trim() !== '');
  if (!firstRule) return undefined;
  const colon = findRuleColon(firstRule);
  if (colon < 0) return undefined;
  return splitEscaped(firstRule.slice(colon + 1)).map((file) => path.resolve(cwd, file));
}

/** The ':' that ends the targets: the first one followed by whitespace or the end of line. */
function findRuleColon(line: string): number {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === ':' && (i + 1 === line.length || /\s/.test(line[i + 1]!))) return i;
  }
  return -1;
}

function splitEscaped(text: string): string[] {
  const words: string[] = [];
  let word = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === ' ' || text[i + 1] === '#')) {
      word += text[++i];
    } else if (c === '$' && text[i + 1] === '$') {
      word += '$';
      i++;
    } else if (/\s/.test(c)) {
      if (word) words.push(word);
      word = '';
    } else {
      word += c;
    }
  }
  if (word) words.push(word);
  return words;
}
