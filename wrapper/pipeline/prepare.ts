// Stage 1 of a compile request, prepare: identify the compiler, read the request's own switches,
// rewrite base-dir paths, parse the arguments. Either everything the later stages need, worked
// out once (plain data: a hit server hands it to the main server as it is), or the reason the
// call is not cacheable.

import * as path from 'node:path';
import { parseCompilerArgs } from '../compilers/argParser';
import type { CacheableCompile } from '../compilers/types';
import { requestSwitches } from '../config/config';
import type { CompileRequest } from '../contract/protocol';
import type { DirectKeyInputs } from '../keys/cacheKey';
import { compilerIdentity, type CompilerIdentity } from '../keys/compilerIdentity';
import { jobserverForCompile } from '../launcher/jobserver';
import { debugPrefixMapArgs, relocation, rewriteArgsForBaseDirs, type Relocation } from './baseDirs';
import type { CompileContext } from './context';
import type { CompileReply } from './reply';

export interface PreparedCompile {
  /** the compiler to run (a relative path the client gave, made absolute against its cwd) */
  compiler: string;
  identity: CompilerIdentity;
  location: Relocation;
  parsed: CacheableCompile;
  /** the source as the user names it, for stats and messages */
  file: string;
  /** the source's absolute path (pending stores are registered under it) */
  sourcePath: string;
  /** warmcc's own flags, before the user's (the base-dir debug prefix map) */
  debugMap: string[];
  /** the environment compiles run with: the client's, without a pipe jobserver */
  env: Record<string, string | undefined>;
  /** WARMCC_RECACHE: compile and overwrite instead of reading the cache */
  recache: boolean;
  /** when the request arrived, in ms since the epoch (high resolution, valid in any process) */
  startedAt: number;
}

export type Preparation =
  | { kind: 'prepared'; prepared: PreparedCompile }
  /** not cacheable: the reply says so; what was learnt on the way is kept for the journal */
  | { kind: 'refused'; reply: CompileReply; compiler: string; identity?: CompilerIdentity; parsed?: CacheableCompile; recache?: boolean };

/** Variables that make the compiler write extra dependency files behind our back. */
const DEPENDENCY_ENVIRONMENT = ['DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES'];

/** The counted reason for a request with bytes that are not UTF-8 (protocol.ts notUtf8). */
function notUtf8Reason(where: string): string {
  if (where === 'cwd') return 'non-UTF-8 working directory';
  if (where.startsWith('environment')) return 'non-UTF-8 environment variable';
  return 'non-UTF-8 argument';
}

/** ms since the epoch, high resolution */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export async function prepare(request: CompileRequest, context: CompileContext): Promise<Preparation> {
  const { stats } = context;
  const [invokedCompiler, ...args] = request.argv as [string, ...string[]];
  // a relative compiler path (./tools/gcc) is relative to the client, not to the server
  const compiler = invokedCompiler.includes('/') ? path.resolve(request.cwd, invokedCompiler) : invokedCompiler;
  stats.request();
  const startedAt = now();
  if (request.notUtf8 !== undefined) {
    // strings are UTF-8 here, and Node passes only UTF-8 to the compiler: the client runs the
    // call itself, with its exact bytes
    const reason = notUtf8Reason(request.notUtf8);
    stats.notCacheable(request.argv.slice(1).find((arg) => !arg.startsWith('-')) ?? compiler, reason);
    return { kind: 'refused', reply: { kind: 'runLocally', reason: `${reason}: ${request.notUtf8}` }, compiler };
  }

  let identity: CompilerIdentity | undefined;
  try {
    // identification must not depend on which client asked first: only PATH is passed on
    identity = await compilerIdentity(compiler, { PATH: request.env.PATH, LC_ALL: 'C' });
  } catch (error) {
    context.log(`cannot identify compiler ${compiler}: ${(error as Error).message}`);
  }
  if (!identity) {
    stats.notCacheable(compiler, 'unknown compiler');
    return { kind: 'refused', reply: { kind: 'runLocally', reason: `unknown compiler ${compiler}` }, compiler };
  }

  let switches: ReturnType<typeof requestSwitches>;
  try {
    switches = requestSwitches(request.env);
  } catch (error) {
    // a bad setting in the client's environment: say so, and build without the cache
    const message = (error as Error).message;
    context.log(`request from ${request.cwd}: ${message}`);
    stats.notCacheable(compiler, 'invalid warmcc setting');
    return { kind: 'refused', reply: { kind: 'runLocally', reason: message }, compiler, identity };
  }
  const location = relocation(request.cwd, switches.baseDirs ?? context.baseDirs);
  const compileArgs = rewriteArgsForBaseDirs(location, identity.family, args) ?? args;
  const parsed = parseCompilerArgs(identity.family, compileArgs, request.cwd);
  if (!parsed.cacheable) {
    stats.notCacheable(args.find((arg) => !arg.startsWith('-')) ?? compiler, parsed.reason);
    return { kind: 'refused', reply: { kind: 'runLocally', reason: parsed.reason }, compiler, identity, recache: switches.recache };
  }
  if (DEPENDENCY_ENVIRONMENT.some((name) => request.env[name] !== undefined)) {
    const reason = 'dependency output via environment';
    stats.notCacheable(parsed.inputFile, reason);
    return { kind: 'refused', reply: { kind: 'runLocally', reason }, compiler, identity, parsed, recache: switches.recache };
  }

  return {
    kind: 'prepared',
    prepared: {
      compiler,
      identity,
      location,
      parsed,
      file: path.relative(request.cwd, path.resolve(request.cwd, parsed.inputFile)) || parsed.inputFile,
      sourcePath: path.resolve(request.cwd, parsed.inputFile),
      debugMap: debugPrefixMapArgs(location, parsed),
      env: jobserverForCompile(request.env),
      recache: switches.recache,
      startedAt,
    },
  };
}

/** What every key of this compile is computed from (the direct key adds the source's hash). */
export function keyInputs(request: CompileRequest, prepared: PreparedCompile): Omit<DirectKeyInputs, 'sourceHash'> {
  const { identity, parsed, location, debugMap } = prepared;
  return { identity, compile: parsed, cwd: request.cwd, env: request.env, relocatable: location.relocatable, debugPrefixMapped: debugMap.length > 0 };
}
