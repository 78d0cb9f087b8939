// An explanation (explainMiss.ts) as text for people: `warmcc --explain` and the editor's
// "Explain Last Miss" show the same lines.

import * as path from 'node:path';
import type { Change, Explanation, JournalCompiler, RequestSummary } from '../contract/explanation';

function time(at: number): string {
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function request(summary: RequestSummary): string {
  const how = summary.via ? ` (${summary.via})` : summary.reason && summary.outcome !== 'miss' ? ` (${summary.reason})` : '';
  return `${summary.outcome === 'not cacheable' ? 'not cacheable' : `a ${summary.outcome}`}${how} at ${time(summary.at)}`;
}

const quoted = (value: string | undefined): string => (value === undefined ? 'unset' : `'${value}'`);
const words = (args: string[]): string => args.map((arg) => (/[\s'"]/.test(arg) || arg === '' ? JSON.stringify(arg) : arg)).join(' ');

function compiler(c: JournalCompiler): string {
  // __VERSION__ comes with its quotes
  return `${c.path} (${c.family} ${c.version.replace(/^"(.*)"$/, '$1')}, binary ${c.hash.slice(0, 12)})`;
}

const ARGUMENT_NAMES: Record<string, string> = { args: 'argument', 'preprocessor args': 'preprocessor argument', 'dependency args': 'dependency argument' };

export function describeChange(change: Change, cwd: string): string {
  const shown = (file: string): string => {
    const relative = path.relative(cwd, file);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
  };
  switch (change.kind) {
    case 'compiler':
      return `compiler changed: ${compiler(change.before)} → ${compiler(change.after)}`;
    case 'arguments': {
      const name = ARGUMENT_NAMES[change.part] ?? change.part;
      if (!change.before.length) return `${name} added: ${words(change.after)}`;
      if (!change.after.length) return `${name} removed: ${words(change.before)}`;
      return `${name} changed: ${words(change.before)} → ${words(change.after)}`;
    }
    case 'environment':
      return `environment variable ${change.name} changed: ${quoted(change.before)} → ${quoted(change.after)}`;
    case 'working directory':
      return `working directory changed: ${change.before} → ${change.after}`;
    case 'source':
      return `source content changed`;
    case 'header':
      return `header ${change.change}: ${shown(change.file)}`;
    case 'key part':
      return `${change.name} changed: ${quoted(change.before)} → ${quoted(change.after)}`;
    case 'preprocessed output':
      return 'the preprocessed output differs, though no source, header or argument the journal tracks changed';
  }
}

/** The explanation as lines of text; `shownFile` is the file as the user named it. */
export function formatExplanation(explanation: Explanation, shownFile = explanation.file): string {
  const { last, miss, comparedWith } = explanation;
  if (explanation.verdict === 'never seen') {
    const header = /\.(h|hh|hpp|hxx|inc|inl)$/i.test(shownFile) ? ' Headers are not compiled on their own: explain a source that includes it.' : '';
    return `${shownFile}: no request of this file in the journal.${header}`;
  }
  if (!miss) return `${shownFile}: not a miss — the last request was ${request(last!)}, and the journal has no miss of this file.`;
  const lines: string[] = [];
  if (last && last.at !== miss.at) lines.push(`${shownFile}: not a miss — the last request was ${request(last)}. Its last miss:`);
  const missed = `${shownFile} missed at ${time(miss.at)}`;
  switch (explanation.verdict) {
    case 'first time seen':
      lines.push(`${missed}: first time seen (no earlier cached compile of this file in the journal).`);
      break;
    case 'unchanged':
      lines.push(
        miss.reason === 'recache'
          ? `${missed}: WARMCC_RECACHE forced the compile; nothing in the key changed since ${request(comparedWith!)}.`
          : `${missed}: nothing in the key changed since ${request(comparedWith!)}; the cached result was gone (evicted by the size limit, cleared, or it could not be stored).`,
      );
      break;
    default:
      lines.push(`${missed}; compared with ${request(comparedWith!)}, the most similar earlier request:`);
      for (const change of explanation.changes) lines.push(`  - ${describeChange(change, miss.cwd)}`);
  }
  return lines.join('\n');
}

/** One line for a notification: the verdict, or the first change and how many more. */
export function summarizeExplanation(explanation: Explanation, shownFile = explanation.file): string {
  const { miss, changes } = explanation;
  if (explanation.verdict !== 'changed' || !miss || !changes.length) return formatExplanation(explanation, shownFile).split('\n').at(-1)!;
  const more = changes.length > 1 ? ` (and ${changes.length - 1} more ${changes.length === 2 ? 'change' : 'changes'})` : '';
  return `${shownFile} missed: ${describeChange(changes[0]!, miss.cwd)}${more}`;
}
