// One compile request, start to finish (preprocessor mode): parse the arguments, identify the
// compiler, preprocess, compute the key, serve a hit or compile and store. Every failure of the
// cache itself ends in a correct build: a cache read error is a miss, a write error only costs
// the next hit, and anything unexpected answers "run it yourself" to the client.

import * as path from 'node:path';
import { parseCompilerArgs } from '../compilers/argParser';
import type { CacheableCompile } from '../compilers/types';
import { requestSwitches } from '../shared/config';
import { jobserverForCompile } from '../shared/jobserver';
import type { CompileRequest } from '../shared/protocol';
import { CorruptEntryError, decodeEntry, encodeEntry, type CacheEntry } from '../storage/cacheEntry';
import type { CacheStorage } from '../storage/storage';
import { computeCacheKey, computeDirectKey } from './cacheKey';
import { compilerIdentity, type CompilerIdentity } from './compilerIdentity';
import { journalRecord, type CompileTrace } from './compileTrace';
import { forcedColorArgs, shouldStripColor, stripColor } from './diagnosticsColor';
import { parseDiagnostics } from './diagnosticsParser';
import type { CompiledNotification } from '../shared/rpcMethods';
import { fileFacts } from './fileFacts';
import { includedFiles } from './includeFiles';
import { includeSearchPath } from './includeSearchPath';
import type { Journal } from './journal';
import { buildManifestEntry, encodeManifest, matchManifest, readManifest, withEntry } from './manifest';
import { readOutputs, writeOutputs } from './outputFiles';
import { runProcess } from './runProcess';
import type { Stats } from './stats';

export type CompileReply =
  | { kind: 'exit'; code: number; stdout: Buffer; stderr: Buffer }
  | { kind: 'runLocally'; reason: string }
  | { kind: 'error'; message: string };

export interface CompileContext {
  storage: CacheStorage;
  stats: Stats;
  log: (message: string) => void;
  /** per-compile detail, written only at WARMCC_LOG_LEVEL=debug */
  debug: (message: string) => void;
  /** look up and record direct-mode manifests (WARMCC_DIRECT) */
  directMode: boolean;
  /** WARMCC_SLOPPINESS=time_macros: manifests may cover files that use __TIME__ & co. */
  allowTimeMacros: boolean;
  /** told about every finished cacheable compile (the editor shows its diagnostics) */
  compiled: (event: CompiledNotification) => void;
  /** background work (storing results) that shutdown must wait for */
  track: (work: Promise<unknown>) => void;
  /** recent requests, for `warmcc --explain` (absent: not journaled) */
  journal?: Journal;
}

/** Variables that make the compiler write extra dependency files behind our back. */
const DEPENDENCY_ENVIRONMENT = ['DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES'];

/** Handles the request and journals it (after the reply; see journal.ts). */
export async function handleCompileRequest(request: CompileRequest, context: CompileContext, signal: AbortSignal): Promise<CompileReply> {
  const trace: CompileTrace = { at: Date.now() };
  const recache = requestSwitches(request.env).recache;
  let reply: CompileReply | Error;
  try {
    reply = await handleCompile(request, context, signal, trace);
  } catch (error) {
    reply = error as Error;
  }
  const outcome = reply;
  context.journal?.add(() => (outcome instanceof Error || outcome.kind !== 'error' ? journalRecord(request, trace, outcome, recache) : undefined));
  if (reply instanceof Error) throw reply;
  return reply;
}

async function handleCompile(request: CompileRequest, context: CompileContext, signal: AbortSignal, trace: CompileTrace): Promise<CompileReply> {
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

  const parsed = parseCompilerArgs(identity.family, args, request.cwd);
  const displayName = (file: string): string => path.relative(request.cwd, path.resolve(request.cwd, file)) || file;
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
  const file = displayName(parsed.inputFile);
  const switches = requestSwitches(request.env);

  const restore = async (resultKey: string, entry: CacheEntry, direct: boolean): Promise<CompileReply | undefined> => {
    try {
      await writeOutputs(request.cwd, request.umask, parsed.outputs, entry.files);
    } catch (error) {
      // e.g. the output directory does not exist: the real compile gives the real error
      context.log(`cannot restore ${file} from cache: ${(error as Error).message}`);
      return undefined;
    }
    const ms = performance.now() - started;
    stats.hit(file, parsed.language, ms, entry.compileMs, direct);
    trace.served = direct ? 'direct' : 'preprocessed';
    trace.resultKey = resultKey;
    context.debug(`${direct ? 'direct' : 'preprocessed'} hit ${file} ${resultKey.slice(0, 12)} ${ms.toFixed(1)}ms`);
    announce(context, request, parsed, 'hit', entry.stderr);
    return replayed(parsed, request, 0, entry.stdout, entry.stderr);
  };

  // Direct mode: the source's content and the manifest's include set, no preprocessor run.
  let directKey: string | undefined;
  const sourcePath = path.resolve(request.cwd, parsed.inputFile);
  if (context.directMode) {
    const source = fileFacts(sourcePath);
    if (source) {
      trace.sourceHash = source.hash;
      directKey = computeDirectKey({ identity, compile: parsed, cwd: request.cwd, env: request.env, sourceHash: source.hash }, (trace.directKeyParts = []));
      if (!switches.recache) {
        const manifest = await readManifest(context.storage, directKey).catch(() => undefined);
        const resultKey = manifest && matchManifest(manifest);
        trace.filesRead = manifest?.entries.find((candidate) => candidate.resultKey === resultKey)?.files;
        const entry = resultKey ? await lookup(context, resultKey) : undefined;
        const reply = entry && (await restore(resultKey!, entry, true));
        if (reply) return reply;
      }
    }
  }

  const preprocessArgs = [...parsed.preprocessorArgs, '-E', ...(parsed.explicitLanguage ? ['-x', parsed.language] : []), parsed.inputFile];
  const preprocessed = await runProcess(compiler, preprocessArgs, { cwd: request.cwd, env, signal, umask: request.umask });
  if (signal.aborted) return { kind: 'error', message: 'client went away' };
  if (preprocessed.code !== 0) {
    // e.g. a missing header: the real compile reports it properly (and is not cached)
    return compileAndMaybeStore(request, context, { compiler, parsed, env, file, key: undefined, recache: false, signal, started });
  }

  const key = computeCacheKey({ identity, compile: parsed, preprocessed: preprocessed.stdout, cwd: request.cwd, env: request.env }, (trace.keyParts = []));
  trace.resultKey = key;
  trace.preprocessed = preprocessed.stdout;
  // after the reply: what this compile read becomes a manifest entry for the next direct lookup
  const remember = (): void => {
    if (directKey) {
      const manifestKey = directKey;
      context.track(
        recordManifest(context, { manifestKey, resultKey: key, sourcePath, preprocessed: preprocessed.stdout, compiler, parsed, cwd: request.cwd, env }).catch((error: Error) =>
          context.log(`cannot record the manifest for ${file}: ${error.message}`),
        ),
      );
    }
  };

  if (!switches.recache) {
    const entry = await lookup(context, key);
    const reply = entry && (await restore(key, entry, false));
    if (reply) {
      remember();
      return reply;
    }
  }
  const reply = await compileAndMaybeStore(request, context, { compiler, parsed, env, file, key, recache: switches.recache, signal, started });
  if (reply.kind === 'exit' && reply.code === 0) remember();
  return reply;
}

interface ManifestRecording {
  manifestKey: string;
  resultKey: string;
  sourcePath: string;
  preprocessed: Buffer;
  compiler: string;
  parsed: CacheableCompile;
  cwd: string;
  env: Record<string, string | undefined>;
}

async function recordManifest(context: CompileContext, recording: ManifestRecording): Promise<void> {
  const { parsed, sourcePath } = recording;
  const includes = includedFiles(recording.preprocessed, recording.cwd).filter((include) => include.file !== sourcePath);
  const searchPath = await includeSearchPath(recording.compiler, parsed.preprocessorArgs, parsed.language, recording.cwd, recording.env);
  if (!searchPath) {
    context.stats.directModeSkipped('include search path unknown');
    return;
  }
  const entry = buildManifestEntry(sourcePath, includes, searchPath, recording.resultKey, context.allowTimeMacros);
  if (typeof entry === 'string') {
    context.stats.directModeSkipped(entry);
    return;
  }
  // re-read: another compile may have added an entry since the lookup
  const current = await readManifest(context.storage, recording.manifestKey).catch(() => undefined);
  await context.storage.put(recording.manifestKey, encodeManifest(withEntry(current, entry)));
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

interface CompileJob {
  compiler: string;
  parsed: CacheableCompile;
  env: Record<string, string | undefined>;
  file: string;
  /** undefined: not storable (preprocessing failed) */
  key: string | undefined;
  recache: boolean;
  signal: AbortSignal;
  started: number;
}

async function compileAndMaybeStore(request: CompileRequest, context: CompileContext, job: CompileJob): Promise<CompileReply> {
  const { parsed } = job;
  const { stats } = context;
  const compileArgs = [...forcedColorArgs(parsed.color), ...parsed.expandedArgs];
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
  context.debug(`miss ${job.file} ${job.key.slice(0, 12)} ${ms.toFixed(1)}ms`);

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
  const key = job.key;
  const entry: CacheEntry = { files, stdout: result.stdout, stderr: result.stderr, compileMs: result.ms };
  context.track(
    encodeEntry(entry)
      .then((bytes) => context.storage.put(key, bytes))
      .catch((error: Error) => {
        stats.writeError();
        context.log(`cache write error for ${job.file} (${key}): ${error.message}`);
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
