// The cache key of a compile in preprocessor mode: everything that can change the outputs.
// When in doubt a part goes in: a needless miss costs a compile, a missing part serves a wrong
// object.

import { createHash } from 'node:crypto';
import type { CacheableCompile } from '../compilers/types';
import type { CompilerIdentity } from './compilerIdentity';

/** bump when the key's composition changes, so old entries are never matched */
const KEY_FORMAT = 'warmcc-key-1';

/** Environment variables that change what the compiler writes (objects or diagnostics) but
 *  are not visible in the preprocessed text. */
export const KEY_ENVIRONMENT_VARIABLES = [
  'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', // language of diagnostics
  'GCC_COLORS', // colours in the stored diagnostics
  'GCC_COMPARE_DEBUG', 'COMPILER_PATH', 'GCC_EXEC_PREFIX', // which back end / how it runs
  'CCC_OVERRIDE_OPTIONS', // clang rewrites its own arguments from this
  'SOURCE_DATE_EPOCH',
  'MACOSX_DEPLOYMENT_TARGET', 'SDKROOT', 'IPHONEOS_DEPLOYMENT_TARGET',
] as const;

export interface KeyInputs {
  identity: CompilerIdentity;
  compile: CacheableCompile;
  preprocessed: Buffer;
  cwd: string;
  env: Record<string, string | undefined>;
}

export function computeCacheKey({ identity, compile, preprocessed, cwd, env }: KeyInputs): string {
  const hash = createHash('sha256');
  const part = (name: string, value: string): void => {
    hash.update(name).update('\0').update(value).update('\0');
  };
  part('format', KEY_FORMAT);
  part('compiler', `${identity.family}\0${identity.version}\0${identity.contentHash}`);
  part('language', compile.language);
  part('args', compile.keyArgs.join('\0'));
  const outputs = compile.outputs;
  part('outputs', [outputs.depFile ? 'd' : '', outputs.dwo ? 'dwo' : '', outputs.gcno ? 'gcno' : ''].join(','));
  if (outputs.depFile) {
    // the .d file names the target (-o or -MT/-MQ) and is stored verbatim
    part('dependency args', compile.dependencyArgs.join('\0'));
    part('object path', outputs.object);
  }
  if (compile.debugInfo || compile.coverage || compile.splitDwarf) {
    // debug info and coverage notes record the working directory (ccache's hash_dir)
    part('cwd', cwd);
  }
  if (compile.splitDwarf || compile.coverage) {
    // the object names its .dwo; coverage data names its .gcda next to the object
    part('object path', outputs.object);
  }
  for (const name of KEY_ENVIRONMENT_VARIABLES) {
    const value = env[name];
    if (value !== undefined) part(`env ${name}`, value);
  }
  part('preprocessed', '');
  hash.update(preprocessed);
  return hash.digest('hex');
}
