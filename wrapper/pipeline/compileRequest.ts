// One compile request, start to finish: identify the compiler, parse the arguments (rewritten
// for WARMCC_BASEDIRS), look the source up through its manifest (direct mode), else preprocess
// and look up by the preprocessed text — or, in depend mode, compile with a dependency list
// instead — and serve a hit or compile and store. Every failure of the cache itself ends in a
// correct build: a cache read error is a miss, a write error only costs the next hit, and
// anything unexpected answers "run it yourself" to the client.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCompilerArgs } from '../compilers/argParser';
import type { CacheableCompile } from '../compilers/types';
import { requestSwitches, type WarmccConfig } from '../config/config';
import { jobserverForCompile } from '../launcher/jobserver';
import type { CompileRequest } from '../contract/protocol';
import type { EntryCompression } from '../config/config';
import { CorruptEntryError, decodeEntry, encodeEntry, type CacheEntry } from '../storage/cacheEntry';
import type { CacheStorage } from '../storage/storage';
import { debugPrefixMapArgs, relocation, resolvedEntries, rewriteArgsForBaseDirs, storableEntry, type Relocation } from './baseDirs';
import { computeCacheKey, computeDependKey, computeDirectKey } from '../keys/cacheKey';
import { compilerIdentity, type CompilerIdentity } from '../keys/compilerIdentity';
import { journalRecord, type CompileTrace } from '../explain/journalRecord';
import { forcedColorArgs, shouldStripColor, stripColor } from '../outputs/diagnosticsColor';
import { parseDiagnostics } from '../outputs/diagnosticsParser';
import type { CompiledNotification } from '../contract/rpc';
import { fileFacts } from '../direct/fileHashCache';
import { parseDependencyFile } from '../direct/dependencyFile';
import { includedFiles, type IncludedFile } from '../direct/lineMarkers';
import { includeSearchPath } from '../direct/includeSearchPath';
import type { Journal } from '../explain/journal';
import { snapshotInputs } from './inputStamps';
import { buildManifestEntry, matchManifest, readManifest, unsupportedInDirectMode, withEntry, writeManifest, type ManifestEntry } from '../direct/manifest';
import { readOutputs, writeOutputs } from '../outputs/outputFiles';
import { runProcess } from './runProcess';
import type { PendingStores } from './pendingStores';
import type { StatsRecorder } from '../server/stats';
import { unreadInputReason } from './hiddenInputs';

export type CompileReply =
  | { kind: 'exit'; code: number; stdout: Buffer; stderr: Buffer }
  | { kind: 'runLocally'; reason: string }
  | { kind: 'error'; message: string };

export interface CompileContext {
  storage: CacheStorage;
  stats: StatsRecorder;
  log: (message: string) => void;
  /** per-compile detail, written only at WARMCC_LOG_LEVEL=debug */
  debug: (message: string) => void;
  /** look up and record direct-mode manifests (WARMCC_DIRECT) */
  directMode: boolean;
  /** misses compile with a dependency list instead of running the preprocessor (WARMCC_DEPEND) */
  dependMode: boolean;
  /** the server's WARMCC_BASEDIRS (a client's own setting wins) */
  baseDirs: string[];
  /** WARMCC_SLOPPINESS=time_macros: manifests may cover files that use __TIME__ & co. */
  allowTimeMacros: boolean;
  /** WARMCC_SLOPPINESS=system_headers: manifests leave system headers out (they change with the
   *  system, not the project), and depend mode accepts -MMD lists */
  sloppySystemHeaders: boolean;
  /** how stored entries are compressed (WARMCC_COMPRESSION, WARMCC_COMPRESSION_LEVEL) */
  compression: EntryCompression;
  /** told about every finished cacheable compile (the editor shows its diagnostics) */
  compiled: (event: CompiledNotification) => void;
  /** stores running after their reply, by source: shutdown and a request for the same source
   *  wait for them */
  stores: PendingStores;
  /** recent requests, for `warmcc --explain` (absent: not journaled) */
  journal?: Journal;
}

/** The context's settings, from the server's configuration (the same for a hit server). */
export function compileSettings(config: WarmccConfig): Pick<CompileContext, 'directMode' | 'dependMode' | 'baseDirs' | 'allowTimeMacros' | 'sloppySystemHeaders' | 'compression'> {
  return {
    // depend mode works through manifests, so it implies direct mode
    directMode: config.directMode || config.dependMode,
    dependMode: config.dependMode,
    baseDirs: config.baseDirs,
    allowTimeMacros: config.sloppiness.includes('time_macros'),
    sloppySystemHeaders: config.sloppiness.includes('system_headers'),
    compression: config.compression,
  };
}

/** Variables that make the compiler write extra dependency files behind our back. */
const DEPENDENCY_ENVIRONMENT = ['DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES'];

/** Handles the request and journals it (after the reply; see journal.ts). */
export async function handleCompileRequest(request: CompileRequest, context: CompileContext, signal: AbortSignal): Promise<CompileReply> {
  const trace: CompileTrace = { at: Date.now() };
  let reply: CompileReply | Error;
  try {
    reply = await handleCompile(request, context, signal, trace);
  } catch (error) {
    reply = error as Error;
  }
  const outcome = reply;
  context.journal?.add(() => (outcome instanceof Error || outcome.kind !== 'error' ? journalRecord(request, trace, outcome) : undefined));
  if (reply instanceof Error) throw reply;
  return reply;
}

/** What every path of a cacheable request needs, worked out once. */
interface PreparedCompile {
  compiler: string;
  identity: CompilerIdentity;
  location: Relocation;
  parsed: CacheableCompile;
  /** the source as the user names it, for stats and messages */
  file: string;
  sourcePath: string;
  debugMap: string[];
  keyInputs: Omit<Parameters<typeof computeDirectKey>[0], 'sourceHash'>;
  job: CompileJob;
}

/** Identifies the compiler and parses the request; a reply instead when it cannot be cached. */
async function prepareCompile(request: CompileRequest, context: CompileContext, signal: AbortSignal, trace: CompileTrace): Promise<PreparedCompile | CompileReply> {
  const { stats } = context;
  const [invokedCompiler, ...args] = request.argv as [string, ...string[]];
  // a relative compiler path (./tools/gcc) is relative to the client, not to the server
  const compiler = invokedCompiler.includes('/') ? path.resolve(request.cwd, invokedCompiler) : invokedCompiler;
  stats.request();
  const started = performance.now();

  let identity: CompilerIdentity | undefined;
  try {
    // identification must not depend on which client asked first: only PATH is passed on
    identity = await compilerIdentity(compiler, { PATH: request.env.PATH, LC_ALL: 'C' });
  } catch (error) {
    context.log(`cannot identify compiler ${compiler}: ${(error as Error).message}`);
  }
  trace.compilerPath = compiler;
  trace.identity = identity;
  if (!identity) {
    stats.notCacheable(compiler, 'unknown compiler');
    return { kind: 'runLocally', reason: `unknown compiler ${compiler}` };
  }

  let switches: ReturnType<typeof requestSwitches>;
  try {
    switches = requestSwitches(request.env);
  } catch (error) {
    // a bad setting in the client's environment: say so, and build without the cache
    const message = (error as Error).message;
    context.log(`request from ${request.cwd}: ${message}`);
    stats.notCacheable(compiler, 'invalid warmcc setting');
    return { kind: 'runLocally', reason: message };
  }
  trace.recache = switches.recache;
  const location = relocation(request.cwd, switches.baseDirs ?? context.baseDirs);
  const compileArgs = rewriteArgsForBaseDirs(location, identity.family, args) ?? args;
  const parsed = parseCompilerArgs(identity.family, compileArgs, request.cwd);
  if (!parsed.cacheable) {
    stats.notCacheable(args.find((arg) => !arg.startsWith('-')) ?? compiler, parsed.reason);
    return { kind: 'runLocally', reason: parsed.reason };
  }
  trace.compile = parsed;
  if (DEPENDENCY_ENVIRONMENT.some((name) => request.env[name] !== undefined)) {
    stats.notCacheable(parsed.inputFile, 'dependency output via environment');
    return { kind: 'runLocally', reason: 'dependency output via environment' };
  }

  const env = jobserverForCompile(request.env);
  const file = path.relative(request.cwd, path.resolve(request.cwd, parsed.inputFile)) || parsed.inputFile;
  const debugMap = debugPrefixMapArgs(location, parsed);
  const keyInputs = { identity, compile: parsed, cwd: request.cwd, env: request.env, relocatable: location.relocatable, debugPrefixMapped: debugMap.length > 0 };
  const sourcePath = path.resolve(request.cwd, parsed.inputFile);
  const job: CompileJob = { compiler, parsed, env, file, sourcePath, key: undefined, recache: switches.recache, signal, started, extraArgs: debugMap, dependFile: undefined };
  return { compiler, identity, location, parsed, file, sourcePath, debugMap, keyInputs, job };
}

/** Writes a hit's outputs and counts it; undefined when the outputs cannot be written (then the
 *  real compile runs and reports the real error). */
async function restoreHit(
  request: CompileRequest,
  context: CompileContext,
  prepared: PreparedCompile,
  trace: CompileTrace,
  hit: { resultKey: string; entry: CacheEntry; direct: boolean },
): Promise<CompileReply | undefined> {
  const { parsed, file } = prepared;
  const { resultKey, entry, direct } = hit;
  try {
    await writeOutputs(request.cwd, request.umask, parsed.outputs, entry.files);
  } catch (error) {
    context.log(`cannot restore ${file} from cache: ${(error as Error).message}`);
    return undefined;
  }
  const ms = performance.now() - prepared.job.started;
  context.stats.hit(file, parsed.language, ms, entry.compileMs, direct);
  trace.served = direct ? 'direct' : 'preprocessed';
  trace.resultKey = resultKey;
  context.debug(`${direct ? 'direct' : 'preprocessed'} hit ${file} ${resultKey.slice(0, 12)} ${ms.toFixed(1)}ms`);
  announce(context, request, parsed, 'hit', entry.stderr);
  return replayed(parsed, request, 0, entry.stdout, entry.stderr);
}

/** Direct mode's lookup: the source's content and the manifest's include set, no preprocessor
 *  run. The direct key (undefined: the source is unreadable), and the reply when it was a hit. */
async function directLookup(
  request: CompileRequest,
  context: CompileContext,
  prepared: PreparedCompile,
  trace: CompileTrace,
): Promise<{ directKey: string | undefined; reply?: CompileReply }> {
  const source = fileFacts(prepared.sourcePath);
  if (!source) return { directKey: undefined };
  trace.sourceHash = source.hash;
  const directKey = computeDirectKey({ ...prepared.keyInputs, sourceHash: source.hash }, (trace.directKeyParts = []));
  if (prepared.job.recache) return { directKey };
  const manifest = await readManifest(context.storage, directKey).catch(() => undefined);
  const entries = manifest && resolvedEntries(prepared.location, manifest.entries);
  const resultKey = entries && matchManifest({ entries });
  trace.filesRead = entries?.find((candidate) => candidate.resultKey === resultKey)?.files;
  const entry = resultKey ? await lookup(context, resultKey) : undefined;
  const reply = entry && (await restoreHit(request, context, prepared, trace, { resultKey: resultKey!, entry, direct: true }));
  return { directKey, reply };
}

/** A hit server's whole job (hitServer.ts): the reply of a direct-mode hit, journaled, or
 *  undefined — having written nothing — when the request needs anything more (a miss, a
 *  preprocessor run, a remote tier, a compile). Stats go through context.stats only on a hit. */
export async function serveDirectHit(request: CompileRequest, context: CompileContext, signal: AbortSignal): Promise<CompileReply | undefined> {
  const trace: CompileTrace = { at: Date.now() };
  const prepared = await prepareCompile(request, context, signal, trace);
  if ('kind' in prepared || !context.directMode || prepared.job.recache) return undefined;
  const { reply } = await directLookup(request, context, prepared, trace);
  if (reply) context.journal?.add(() => journalRecord(request, trace, reply));
  return reply;
}

async function handleCompile(request: CompileRequest, context: CompileContext, signal: AbortSignal, trace: CompileTrace): Promise<CompileReply> {
  const prepared = await prepareCompile(request, context, signal, trace);
  if ('kind' in prepared) return prepared;
  const { stats } = context;
  const { compiler, identity, location, parsed, file, sourcePath, debugMap, keyInputs, job } = prepared;
  const { env } = job;
  const restore = (resultKey: string, entry: CacheEntry, direct: boolean): Promise<CompileReply | undefined> =>
    restoreHit(request, context, prepared, trace, { resultKey, entry, direct });

  // a miss of this source that replied moments ago may still be storing what we would hit
  await context.stores.settled(sourcePath);
  let directKey: string | undefined;
  if (context.directMode) {
    const direct = await directLookup(request, context, prepared, trace);
    if (direct.reply) return direct.reply;
    directKey = direct.directKey;
  }
  const recording = (resultKey: string, includes: IncludedFile[], trustedBefore: number): ManifestRecording | undefined =>
    directKey === undefined
      ? undefined
      : {
          manifestKey: directKey,
          resultKey,
          sourcePath,
          includes: context.sloppySystemHeaders ? includes.filter((include) => !include.system) : includes,
          trustedBefore,
          compiler,
          parsed,
          location,
          env,
        };

  // Depend mode: compile straight away; the dependency list names the result and the manifest.
  if (directKey !== undefined && context.dependMode) {
    const refusal = dependModeRefusal(parsed, context.sloppySystemHeaders);
    if (refusal) stats.directModeSkipped(refusal);
    else return compileInDependMode(request, context, { ...job, dependFile: parsed.outputs.depFile ?? temporaryDependencyFile() }, directKey, recording, trace);
  }

  // gcc writes the working directory into -g preprocessed output; it is mapped away in the object.
  // -fpch-preprocess: gcc marks where the compile would load a .gch instead of the header
  const preprocessArgs = [
    ...parsed.preprocessorArgs,
    ...(debugMap.length && identity.family === 'gcc' ? ['-fno-working-directory'] : []),
    ...(identity.family === 'gcc' ? ['-fpch-preprocess'] : []),
    '-E',
    ...(parsed.explicitLanguage ? ['-x', parsed.language] : []),
    parsed.inputFile,
  ];
  const preprocessStarted = Date.now();
  const preprocessed = await runProcess(compiler, preprocessArgs, { cwd: request.cwd, env, signal, umask: request.umask });
  if (signal.aborted) return { kind: 'error', message: 'client went away' };
  if (preprocessed.code !== 0) {
    // e.g. a missing header: the real compile reports it properly (and is not cached)
    return compileAndMaybeStore(request, context, job);
  }

  const unread = unreadInputReason(preprocessed.stdout, parsed.language);
  if (unread) {
    stats.notCacheable(file, unread);
    return { kind: 'runLocally', reason: unread };
  }

  const key = computeCacheKey({ ...keyInputs, preprocessed: preprocessed.stdout }, (trace.keyParts = []));
  trace.resultKey = key;
  trace.preprocessed = preprocessed.stdout;
  // the line markers are read once, and only when needed (megabytes of text for C++)
  let includes: IncludedFile[] | undefined;
  const includesRead = (): IncludedFile[] => (includes ??= trace.includes = includedFiles(preprocessed.stdout, request.cwd));
  // after the reply: what this compile read becomes a manifest entry for the next direct lookup
  const remember = (): void => {
    const manifest = recording(key, includesRead(), preprocessStarted);
    if (manifest) rememberManifest(context, manifest, file);
  };

  if (!job.recache) {
    const entry = await lookup(context, key);
    const reply = entry && (await restore(key, entry, false));
    if (reply) {
      remember();
      return reply;
    }
  }
  const changedInput = snapshotInputs([sourcePath, ...includesRead().map((include) => include.file)]);
  const reply = await compileAndMaybeStore(request, context, { ...job, key, changedInput });
  if (reply.kind === 'exit' && reply.code === 0) remember();
  return reply;
}

/** Why a compile cannot use depend mode (it then takes the preprocessor path), if it cannot. */
function dependModeRefusal(parsed: CacheableCompile, sloppySystemHeaders: boolean): string | undefined {
  // -MMD leaves system headers out of the list, and a second -MD cannot be added beside it
  const userDependenciesOnly = parsed.dependencyArgs.some((arg) => arg === '-MMD' || arg === '--write-user-dependencies');
  if (userDependenciesOnly && !sloppySystemHeaders) return 'depend mode: -MMD lists no system headers';
  return undefined;
}

let temporaryCount = 0;
function temporaryDependencyFile(): string {
  return path.join(os.tmpdir(), `warmcc-${process.pid}-${++temporaryCount}.d`);
}

/** Depend mode's miss: compile with -MD (into a temporary file unless the user asked for one),
 *  then key the result by the direct key and the listed files' contents. Nothing is stored when
 *  a listed file changed after the compile started: its hash might not be what the compiler read. */
async function compileInDependMode(
  request: CompileRequest,
  context: CompileContext,
  job: CompileJob & { dependFile: string },
  directKey: string,
  recording: (resultKey: string, includes: IncludedFile[], trustedBefore: number) => ManifestRecording | undefined,
  trace: CompileTrace,
): Promise<CompileReply> {
  trace.dependMode = true;
  const ownDependFile = job.parsed.outputs.depFile === undefined ? job.dependFile : undefined;
  const compileStarted = Date.now();
  let handedOver = false;
  // Reading and hashing the list happens before the reply (the journal records it with the
  // request); it is small next to the compile, and on one thread it costs the same either way.
  const deriveKey: DerivedKey = (entry) => {
    handedOver = true; // from here on this function removes the temporary file
    let text: string | undefined;
    try {
      // the user's .d is in the entry (the build may rewrite the file right after the reply)
      text = ownDependFile === undefined ? entry.files.find((output) => output.role === 'depFile')?.data.toString('utf8') : fs.readFileSync(ownDependFile, 'utf8');
    } catch {
      text = undefined;
    } finally {
      if (ownDependFile !== undefined) fs.rmSync(ownDependFile, { force: true });
    }
    const files = text === undefined ? undefined : parseDependencyFile(text, request.cwd);
    if (!files) {
      context.stats.directModeSkipped('depend mode: unreadable dependency file');
      return Promise.resolve(undefined);
    }
    const sourcePath = path.resolve(request.cwd, job.parsed.inputFile);
    const includes = files.filter((file) => file !== sourcePath).map((file) => ({ file, system: false }));
    trace.filesRead = files.flatMap((file): [string, string][] => {
      const hash = fileFacts(file)?.hash;
      return hash ? [[file, hash]] : [];
    });
    return (async () => {
      const provisional = recording('', includes, compileStarted);
      const manifestEntry = provisional && (await buildRecordedEntry(context, provisional));
      if (!provisional || !manifestEntry) return undefined;
      // key and manifest come from the same hashes, so a lookup finds exactly this result
      const key = computeDependKey(directKey, manifestEntry.files);
      trace.resultKey = key;
      return { key, afterStore: () => storeManifest(context, provisional.manifestKey, { ...manifestEntry, resultKey: key }) };
    })();
  };
  try {
    return await compileAndMaybeStore(request, context, { ...job, key: deriveKey });
  } finally {
    if (ownDependFile !== undefined && !handedOver) await fs.promises.rm(ownDependFile, { force: true });
  }
}

interface ManifestRecording {
  manifestKey: string;
  resultKey: string;
  sourcePath: string;
  includes: IncludedFile[];
  /** wall-clock ms when the compiler started reading: a file modified after (or just before)
   *  may not have the content the compiler saw */
  trustedBefore: number;
  compiler: string;
  parsed: CacheableCompile;
  location: Relocation;
  env: Record<string, string | undefined>;
}

function rememberManifest(context: CompileContext, recording: ManifestRecording, file: string): void {
  context.stores.add(
    recording.sourcePath,
    buildRecordedEntry(context, recording)
      .then((entry) => entry && storeManifest(context, recording.manifestKey, entry))
      .catch((error: Error) => context.log(`cannot record the manifest for ${file}: ${error.message}`)),
  );
}

/** The manifest entry for what a compile read, paths stored for its base dir; undefined (and
 *  counted) when direct mode cannot trust it. */
async function buildRecordedEntry(context: CompileContext, recording: ManifestRecording): Promise<ManifestEntry | undefined> {
  const { parsed, location } = recording;
  const unsupported = unsupportedInDirectMode([...parsed.preprocessorArgs, ...parsed.keyArgs]);
  if (unsupported) {
    context.stats.directModeSkipped(unsupported);
    return undefined;
  }
  const searchPath = await includeSearchPath(recording.compiler, parsed.preprocessorArgs, parsed.language, location.cwd, recording.env);
  if (!searchPath) {
    context.stats.directModeSkipped('include search path unknown');
    return undefined;
  }
  const entry = buildManifestEntry(recording.sourcePath, recording.includes, searchPath, recording.resultKey, context.allowTimeMacros, recording.trustedBefore);
  if (typeof entry === 'string') {
    context.stats.directModeSkipped(entry);
    return undefined;
  }
  return storableEntry(location, entry);
}

async function storeManifest(context: CompileContext, manifestKey: string, entry: ManifestEntry): Promise<void> {
  // re-read: another compile may have added an entry since the lookup
  const current = await readManifest(context.storage, manifestKey).catch(() => undefined);
  await writeManifest(context.storage, manifestKey, withEntry(current, entry));
}

async function lookup(context: CompileContext, key: string): Promise<CacheEntry | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await context.storage.get(key);
  } catch (error) {
    context.stats.readError(false);
    context.log(`cache read error for ${key}: ${(error as Error).message}`);
    return undefined;
  }
  if (!bytes) return undefined;
  try {
    return await decodeEntry(bytes);
  } catch (error) {
    const corrupt = error instanceof CorruptEntryError;
    context.stats.readError(corrupt);
    context.log(`${context.storage.name}: entry ${key} unusable (${(error as Error).message}); removing it`);
    await context.storage.remove(key).catch(() => {});
    return undefined;
  }
}

/** A key found from what the compile wrote (depend mode), plus what to record once the result
 *  is stored under it; undefined: not storable. */
type DerivedKey = (entry: CacheEntry) => Promise<{ key: string; afterStore: () => Promise<void> } | undefined>;

interface CompileJob {
  compiler: string;
  parsed: CacheableCompile;
  env: Record<string, string | undefined>;
  file: string;
  /** the source's absolute path (pending stores are registered under it) */
  sourcePath: string;
  /** the result's key, known before the compile (preprocessor mode) or derived from its
   *  outputs (depend mode); undefined: not storable (preprocessing failed) */
  key: string | DerivedKey | undefined;
  recache: boolean;
  signal: AbortSignal;
  started: number;
  /** warmcc's own flags, before the user's (the base-dir debug prefix map) */
  extraArgs: string[];
  /** depend mode: the dependency file; `-MD -MF` it is added when the user asked for none */
  dependFile: string | undefined;
  /** a file read by the compile that changed while it ran, if any: then nothing is stored */
  changedInput?: () => string | undefined;
}

async function compileAndMaybeStore(request: CompileRequest, context: CompileContext, job: CompileJob): Promise<CompileReply> {
  const { parsed } = job;
  const { stats } = context;
  const dependArgs = job.dependFile !== undefined && parsed.outputs.depFile === undefined ? ['-MD', '-MF', job.dependFile] : [];
  const compileArgs = [...job.extraArgs, ...forcedColorArgs(parsed.color), ...parsed.expandedArgs, ...dependArgs];
  const result = await runProcess(job.compiler, compileArgs, { cwd: request.cwd, env: job.env, signal: job.signal, umask: request.umask });
  if (job.signal.aborted) return { kind: 'error', message: 'client went away' };
  const ms = performance.now() - job.started;
  if (result.code !== 0 || job.key === undefined) {
    if (result.code !== 0) stats.compileFailed(job.file, parsed.language, ms);
    else stats.notCacheable(job.file, 'preprocessor failed but compile succeeded');
    announce(context, request, parsed, result.code !== 0 ? 'compile failed' : 'miss', result.stderr);
    return replayed(parsed, request, result.code, result.stdout, result.stderr);
  }
  stats.miss(job.file, parsed.language, ms, job.recache);
  announce(context, request, parsed, 'miss', result.stderr);
  context.debug(`miss ${job.file} ${typeof job.key === 'string' ? job.key.slice(0, 12) : '(depend mode)'} ${ms.toFixed(1)}ms`);

  // Read the outputs before replying (the build may move them right after); compress and
  // store after replying, so storing never delays the build.
  let files: CacheEntry['files'];
  try {
    files = await readOutputs(request.cwd, parsed.outputs);
  } catch (error) {
    stats.writeError();
    context.log(`not storing ${job.file}: ${(error as Error).message}`);
    return replayed(parsed, request, 0, result.stdout, result.stderr);
  }
  const changed = job.changedInput?.();
  if (changed) {
    context.log(`not storing ${job.file}: ${changed} changed while it compiled`);
    return replayed(parsed, request, 0, result.stdout, result.stderr);
  }
  const entry: CacheEntry = { files, stdout: result.stdout, stderr: result.stderr, compileMs: result.ms };
  const key = job.key;
  let storedKey = typeof key === 'string' ? key : 'depend-mode key';
  context.stores.add(
    job.sourcePath,
    (async () => {
      const derived = typeof key === 'string' ? { key, afterStore: async () => {} } : await key(entry);
      if (!derived) return;
      storedKey = derived.key;
      await context.storage.put(derived.key, await encodeEntry(entry, context.compression));
      await derived.afterStore();
    })().catch((error: Error) => {
      stats.writeError();
      context.log(`cache write error for ${job.file} (${storedKey}): ${error.message}`);
    }),
  );
  return replayed(parsed, request, 0, result.stdout, result.stderr);
}

function announce(context: CompileContext, request: CompileRequest, parsed: CacheableCompile, outcome: CompiledNotification['outcome'], stderr: Buffer): void {
  context.compiled({
    source: path.resolve(request.cwd, parsed.inputFile),
    cwd: request.cwd,
    outcome,
    diagnostics: parseDiagnostics(stderr, request.cwd),
  });
}

function replayed(parsed: CacheableCompile, request: CompileRequest, code: number, stdout: Buffer, stderr: Buffer): CompileReply {
  const strip = shouldStripColor(parsed.color, request.stderrIsTty);
  return { kind: 'exit', code, stdout, stderr: strip ? stripColor(stderr) : stderr };
}
