// The journal of recent requests (docs/architecture.md, "Journal and explain"): one JSON line
// per compile request — file, outcome, compiler, the parts of its key, the source's and the
// included files' content hashes — so `warmcc --explain` can later say why a file missed.
//
// Bounded: past half the limit the file moves to <name>.1.jsonl (replacing the older one), so
// both together stay under the limit. Compact: include sets and key parts repeat from one build
// to the next, so they are written once per file as definitions named by a short content hash,
// and requests refer to them. Never in a build's way: records are written after the reply, a
// write error is logged and forgotten, and a corrupt or truncated line is skipped when reading.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JournalCompiler, JournalOutcome, KeyParts } from '../contract/explanation';

/** characters kept of content hashes: enough to tell versions of a file apart */
export const HASH_CHARS = 16;
const ID_CHARS = 12;

/** One request, as `explainMiss` reads it. Optional fields are absent when the request did not
 *  get that far (e.g. no key for a call that is not cacheable) or the definition was lost. */
export interface JournalRecord {
  at: number;
  /** absolute path of the source ('' when the call named none) */
  source: string;
  cwd: string;
  outcome: JournalOutcome;
  /** for hits: found through a direct-mode manifest or by the preprocessed text's key */
  via?: 'direct' | 'preprocessed';
  /** why it was not cacheable, failed, or 'recache' for a forced miss */
  reason?: string;
  compiler?: JournalCompiler;
  /** what went into the preprocessed-mode key (when it was computed) */
  keyParts?: KeyParts;
  /** what went into the direct-mode key (when direct mode looked the compile up) */
  directKeyParts?: KeyParts;
  /** the arguments of the preprocessor run (they shape the preprocessed text) */
  preprocessorArgs?: string[];
  /** prefix of the result key (the preprocessed-mode key) */
  resultKey?: string;
  /** prefix of the source's content hash */
  sourceHash?: string;
  /** included files (not the source) with content hash prefixes ('' when unreadable) */
  includes?: [file: string, hash: string][];
}

type Definition = [file: string, hash: string] | string[] | KeyParts;

/** A request line: definitions are referred to by id. */
interface StoredRequest {
  at: number;
  src: string;
  cwd: string;
  out: JournalOutcome;
  via?: 'direct' | 'preprocessed';
  why?: string;
  cc?: JournalCompiler;
  pkey?: string;
  dkey?: string;
  cpp?: string;
  key?: string;
  srcHash?: string;
  inc?: string;
}

interface StoredDefinition {
  def: string;
  v: Definition;
}

export function journalFileFor(cacheDir: string, socketPath: string): string {
  const id = createHash('sha256').update(socketPath).digest('hex').slice(0, 16);
  return path.join(cacheDir, 'journal', `${id}.jsonl`);
}

export function rotatedJournalFile(file: string): string {
  return file.replace(/\.jsonl$/, '') + '.1.jsonl';
}

/** Hit server N (hitServer.ts) keeps its own journal beside the main server's: one writer per
 *  file, so definitions and rotation stay simple; readers merge them (journalFamily). */
export function hitServerJournalFile(file: string, slot: number): string {
  return file.replace(/\.jsonl$/, '') + `.h${slot}.jsonl`;
}

/** The main journal, its rotated file, and the hit servers' files with theirs. */
function journalFamily(file: string): string[] {
  const base = path.basename(file).replace(/\.jsonl$/, '');
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return [];
  }
  const hitServers = names
    .filter((name) => name.startsWith(`${base}.h`) && /^\.h\d+(\.1)?\.jsonl$/.test(name.slice(base.length)))
    .map((name) => path.join(path.dirname(file), name));
  return [rotatedJournalFile(file), file, ...hitServers];
}

function endsWithNewline(file: string, size: number): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

function idOf(value: Definition): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, ID_CHARS);
}

export class Journal {
  private readonly pending: (() => JournalRecord | undefined)[] = [];
  private scheduled = false;
  /** definitions already in the current file (content-addressed: rewriting one is harmless) */
  private readonly defined = new Set<string>();
  private size: number | undefined;
  /** the file ends in a truncated line (a crash mid-write): start on a new line */
  private startNewLine = false;
  private lastError: string | undefined;
  /** include set (as JSON) → its definitions' ids: a rebuild repeats the same sets */
  private readonly includeSetIds = new Map<string, string>();
  private readonly includeSetIdsByList = new WeakMap<object, string>();

  /** limitBytes 0: the journal is off */
  constructor(
    readonly file: string,
    private readonly limitBytes: number,
    private readonly log: (message: string) => void,
  ) {}

  get enabled(): boolean {
    return this.limitBytes > 0;
  }

  /** Queues a record; `build` runs after the current reply has gone out (it may parse the
   *  preprocessed text and hash headers). */
  add(build: () => JournalRecord | undefined): void {
    if (!this.enabled) return;
    this.pending.push(build);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes every queued record now (before the journal is read, and at shutdown). */
  flush(): void {
    this.scheduled = false;
    const builds = this.pending.splice(0);
    for (const build of builds) {
      try {
        const record = build();
        if (record) this.write(record);
      } catch (error) {
        this.failed(`cannot write to the journal ${this.file}: ${(error as Error).message}`);
        // e.g. the directory was removed: start over (directory, size, definitions) next time
        this.size = undefined;
        this.defined.clear();
      }
    }
  }

  private failed(message: string): void {
    // once per kind of failure, not once per compile
    if (message !== this.lastError) this.log(message);
    this.lastError = message;
  }

  private write(record: JournalRecord): void {
    const half = Math.floor(this.limitBytes / 2);
    if (this.size === undefined) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.size = fs.statSync(this.file, { throwIfNoEntry: false })?.size ?? 0;
      this.startNewLine = this.size > 0 && !endsWithNewline(this.file, this.size);
    }
    let encoded = this.encode(record);
    if (this.size > 0 && this.size + encoded.bytes > half) {
      fs.renameSync(this.file, rotatedJournalFile(this.file));
      this.size = 0;
      this.defined.clear();
      encoded = this.encode(record);
    }
    if (encoded.bytes > half) {
      this.failed(`journal: a record of ${encoded.bytes} bytes for ${record.source} exceeds half of WARMCC_JOURNAL_SIZE; not written`);
      return;
    }
    const text = this.startNewLine ? `\n${encoded.text}` : encoded.text;
    fs.appendFileSync(this.file, text, { mode: 0o600 });
    this.startNewLine = false;
    this.size += Buffer.byteLength(text);
    for (const id of encoded.ids) this.defined.add(id);
  }

  private defineIncludes(includes: [string, string][], define: (value: Definition) => string): string {
    // the same list object again (journalRecord.ts hands direct hits' lists out once per entry)
    const same = this.includeSetIdsByList.get(includes);
    if (same && this.defined.has(same)) return same;
    const json = JSON.stringify(includes);
    const known = this.includeSetIds.get(json);
    if (known && this.defined.has(known)) {
      this.includeSetIdsByList.set(includes, known);
      return known;
    }
    const set = define(includes.map((include) => define(include)));
    if (this.includeSetIds.size >= 1024) this.includeSetIds.clear();
    this.includeSetIds.set(json, set);
    this.includeSetIdsByList.set(includes, set);
    return set;
  }

  private encode(record: JournalRecord): { text: string; bytes: number; ids: string[] } {
    const lines: string[] = [];
    const ids: string[] = [];
    const define = (value: Definition): string => {
      const id = idOf(value);
      if (!this.defined.has(id) && !ids.includes(id)) {
        const line: StoredDefinition = { def: id, v: value };
        lines.push(JSON.stringify(line));
        ids.push(id);
      }
      return id;
    };
    const stored: StoredRequest = { at: record.at, src: record.source, cwd: record.cwd, out: record.outcome };
    if (record.via) stored.via = record.via;
    if (record.reason) stored.why = record.reason;
    if (record.compiler) stored.cc = record.compiler;
    if (record.keyParts) stored.pkey = define(record.keyParts);
    if (record.directKeyParts) stored.dkey = define(record.directKeyParts);
    if (record.preprocessorArgs) stored.cpp = define(record.preprocessorArgs);
    if (record.resultKey) stored.key = record.resultKey;
    if (record.sourceHash) stored.srcHash = record.sourceHash;
    if (record.includes) stored.inc = this.defineIncludes(record.includes, define);
    lines.push(JSON.stringify(stored));
    const text = lines.join('\n') + '\n';
    return { text, bytes: Buffer.byteLength(text), ids };
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isPair = (value: unknown): value is [string, string] => isStringList(value) && value.length === 2;
const isParts = (value: unknown): value is KeyParts => Array.isArray(value) && value.every(isPair);
const OUTCOMES: readonly string[] = ['hit', 'miss', 'not cacheable', 'compile failed', 'error'] satisfies JournalOutcome[];

function isStoredRequest(value: Record<string, unknown>): value is Record<string, unknown> & StoredRequest {
  return typeof value.at === 'number' && isString(value.src) && isString(value.cwd) && isString(value.out) && OUTCOMES.includes(value.out);
}

const DEFINITION_PREFIX = '{"def":"';

/** The records of the journal's files (rotated, current, hit servers') whose source `keep`
 *  accepts, oldest first.
 *  Lines that are not intact JSON of the expected shape (a crash mid-write, a disk error) are
 *  skipped. Definitions are parsed only when a kept record refers to them. */
export function readJournal(file: string, keep: (source: string) => boolean = () => true): JournalRecord[] {
  const definitionLines = new Map<string, string>();
  const requests: StoredRequest[] = [];
  for (const name of journalFamily(file)) {
    let text: string;
    try {
      text = fs.readFileSync(name, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`cannot read the journal ${name}: ${(error as Error).message}`, { cause: error });
    }
    for (const line of text.split('\n')) {
      if (line.startsWith(DEFINITION_PREFIX)) {
        definitionLines.set(line.slice(DEFINITION_PREFIX.length, line.indexOf('"', DEFINITION_PREFIX.length)), line);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof value === 'object' && value !== null && isStoredRequest(value as Record<string, unknown>)) {
        const request = value as StoredRequest;
        if (keep(request.src)) requests.push(request);
      }
    }
  }
  const parsed = new Map<string, unknown>();
  const definition = (id: string): unknown => {
    if (!parsed.has(id)) {
      let value: unknown;
      try {
        const object = JSON.parse(definitionLines.get(id) ?? 'null') as Partial<StoredDefinition> | null;
        value = object?.def === id ? object.v : undefined;
      } catch {
        value = undefined;
      }
      parsed.set(id, value);
    }
    return parsed.get(id);
  };
  const lookup = <T>(id: string | undefined, check: (value: unknown) => value is T): T | undefined => {
    const value = isString(id) ? definition(id) : undefined;
    return check(value) ? value : undefined;
  };
  // files of several writers: by time (a stable sort keeps each file's own order)
  requests.sort((a, b) => a.at - b.at);
  return requests.map((stored): JournalRecord => {
    const record: JournalRecord = { at: stored.at, source: stored.src, cwd: stored.cwd, outcome: stored.out };
    if (stored.via === 'direct' || stored.via === 'preprocessed') record.via = stored.via;
    if (isString(stored.why)) record.reason = stored.why;
    const cc = stored.cc as Partial<JournalCompiler> | undefined;
    if (cc && isString(cc.path) && isString(cc.family) && isString(cc.version) && isString(cc.hash)) record.compiler = cc as JournalCompiler;
    record.keyParts = lookup(stored.pkey, isParts);
    record.directKeyParts = lookup(stored.dkey, isParts);
    record.preprocessorArgs = lookup(stored.cpp, isStringList);
    if (isString(stored.key)) record.resultKey = stored.key;
    if (isString(stored.srcHash)) record.sourceHash = stored.srcHash;
    const fileIds = lookup(stored.inc, isStringList);
    if (fileIds) {
      const files = fileIds.map((id) => lookup(id, isPair));
      // a lost definition makes the whole set unknown rather than wrong
      if (files.every((file) => file !== undefined)) record.includes = files;
    }
    for (const key of Object.keys(record) as (keyof JournalRecord)[]) if (record[key] === undefined) delete record[key];
    return record;
  });
}

/** The records of one source: by its path, else by the real path (a build through a symlink). */
export function readSourceRecords(journalFile: string, file: string): JournalRecord[] {
  const exact = readJournal(journalFile, (source) => source === file);
  if (exact.length) return exact;
  const real = (name: string): string => {
    try {
      return fs.realpathSync(name);
    } catch {
      return name;
    }
  };
  const wanted = real(file);
  const realOf = new Map<string, string>();
  return readJournal(journalFile, (source) => {
    if (!source) return false;
    if (!realOf.has(source)) realOf.set(source, real(source));
    return realOf.get(source) === wanted;
  });
}
