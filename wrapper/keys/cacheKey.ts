// The cache key of a compile in preprocessor mode: everything that can change the outputs.
// When in doubt a part goes in: a needless miss costs a compile, a missing part serves a wrong
// object.

import { createHash } from 'node:crypto';
import type { CacheableCompile } from '../compilers/types';
import type { KeyParts } from '../contract/explanation';
import { plainDependencyTarget, unnamedDependencyArgs } from '../outputs/dependencyTargets';
import type { CompilerIdentity } from './compilerIdentity';

/** bump when the key's composition changes, so old entries are never matched */
const KEY_FORMAT = 'warmcc-key-2';
const DIRECT_KEY_FORMAT = 'warmcc-direct-2';
const DEPEND_KEY_FORMAT = 'warmcc-depend-1';

/** Environment variables that change what the compiler writes (objects or diagnostics) but
 *  are not visible in the preprocessed text. */
export const KEY_ENVIRONMENT_VARIABLES = [
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES', // language of diagnostics
  'GCC_COLORS', // colours in the stored diagnostics
  'GCC_COMPARE_DEBUG',
  'COMPILER_PATH',
  'GCC_EXEC_PREFIX', // which back end / how it runs
  'CCC_OVERRIDE_OPTIONS', // clang rewrites its own arguments from this
  'SOURCE_DATE_EPOCH',
  'MACOSX_DEPLOYMENT_TARGET',
  'SDKROOT',
  'IPHONEOS_DEPLOYMENT_TARGET',
] as const;

/** Variables that change preprocessing: in the direct key, since no preprocessor runs there. */
export const PREPROCESSOR_ENVIRONMENT_VARIABLES = ['CPATH', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'OBJC_INCLUDE_PATH', 'OBJCPLUS_INCLUDE_PATH'] as const;

interface CommonKeyInputs {
  identity: CompilerIdentity;
  compile: CacheableCompile;
  cwd: string;
  env: Record<string, string | undefined>;
  /** the working directory is under a base dir (baseDirs.ts): paths in the arguments are
   *  relative to it, and manifests resolve theirs against it, so it stays out of the key */
  relocatable?: boolean;
  /** warmcc maps the working directory to "." in the debug info (baseDirs.ts) */
  debugPrefixMapped?: boolean;
}

export interface KeyInputs extends CommonKeyInputs {
  preprocessed: Buffer;
}

export interface DirectKeyInputs extends CommonKeyInputs {
  /** sha256 of the source file's content */
  sourceHash: string;
}

/** A key and the named parts it was computed from, in order (the journal records the parts so
 *  a miss can say what changed). */
export interface ComputedKey {
  key: string;
  parts: KeyParts;
}

/** A sha256 that keeps the name and value of every part it is fed. */
class KeyHash {
  private readonly hash = createHash('sha256');
  readonly parts: KeyParts = [];

  part(name: string, value: string): void {
    this.hash.update(name).update('\0').update(value).update('\0');
    this.parts.push([name, value]);
  }

  /** bytes too large to copy into the parts (the preprocessed text): its part's value is '' */
  bulk(name: string, bytes: Buffer): void {
    this.part(name, '');
    this.hash.update(bytes);
  }

  done(): ComputedKey {
    return { key: this.hash.digest('hex'), parts: this.parts };
  }
}

/** What both keys contain: compiler, language, compile arguments, outputs, environment. */
function hashCommonParts(hash: KeyHash, { identity, compile, cwd, env, debugPrefixMapped }: CommonKeyInputs, format: string): void {
  hash.part('format', format);
  hash.part('compiler', `${identity.family}\0${identity.version}\0${identity.contentHash}`);
  hash.part('language', compile.language);
  hash.part('args', compile.keyArgs.join('\0'));
  const outputs = compile.outputs;
  hash.part('outputs', [outputs.depFile ? 'd' : '', outputs.dwo ? 'dwo' : '', outputs.gcno ? 'gcno' : ''].join(','));
  if (outputs.depFile) {
    // the .d file names its target (-o or -MT/-MQ): a plain one is cut from the stored .d and a
    // hit writes its own (outputs/dependencyTargets.ts), others are stored as they are
    if (plainDependencyTarget(compile) !== undefined) {
      hash.part('dependency args', unnamedDependencyArgs(compile.dependencyArgs).join('\0'));
    } else {
      hash.part('dependency args', compile.dependencyArgs.join('\0'));
      hash.part('object path', outputs.object);
    }
  }
  if (compile.debugInfo || compile.coverage || compile.splitDwarf) {
    // debug info and coverage notes record the working directory (ccache's hash_dir), unless
    // warmcc maps it away
    hash.part('cwd', debugPrefixMapped ? '-fdebug-prefix-map=<cwd>=.' : cwd);
  }
  if (compile.splitDwarf || compile.coverage) {
    // the object names its .dwo; coverage data names its .gcda next to the object
    hash.part('object path', outputs.object);
  }
  for (const name of KEY_ENVIRONMENT_VARIABLES) {
    const value = env[name];
    if (value !== undefined) hash.part(`env ${name}`, value);
  }
}

export function computeCacheKey(inputs: KeyInputs): ComputedKey {
  const hash = new KeyHash();
  hashCommonParts(hash, inputs, KEY_FORMAT);
  hash.bulk('preprocessed', inputs.preprocessed);
  return hash.done();
}

/** Direct mode's key: no preprocessor has run, so everything that steers it goes in instead —
 *  the preprocessor arguments, the working directory (relative -I and #include "..." resolve
 *  against it), the preprocessing environment, the source's path and content. The headers are
 *  checked through the manifest this key names. */
export function computeDirectKey(inputs: DirectKeyInputs): ComputedKey {
  const hash = new KeyHash();
  hashCommonParts(hash, inputs, DIRECT_KEY_FORMAT);
  hash.part('preprocessor args', inputs.compile.preprocessorArgs.join('\0'));
  hash.part('cwd (direct)', inputs.relocatable ? '<under a base dir>' : inputs.cwd);
  for (const name of PREPROCESSOR_ENVIRONMENT_VARIABLES) {
    const value = inputs.env[name];
    if (value !== undefined) hash.part(`env ${name}`, value);
  }
  hash.part('source path', inputs.compile.inputFile);
  hash.part('source content', inputs.sourceHash);
  return hash.done();
}

/** Depend mode's result key: no preprocessed text exists, so the direct key (compiler, flags,
 *  environment, source) plus every file the compiler's dependency list names, with its content
 *  hash (paths as stored in the manifest, so relocatable compiles share it). */
export function computeDependKey(directKey: string, files: readonly (readonly [string, string])[]): string {
  const hash = new KeyHash();
  hash.part('format', DEPEND_KEY_FORMAT);
  hash.part('direct key', directKey);
  for (const [file, contentHash] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) hash.part(file, contentHash);
  return hash.done().key;
}
