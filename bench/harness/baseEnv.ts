// The environment every command of the bench starts from: the caller's, without anything that
// would change how a build compiles or which cache it goes through.

import * as path from 'node:path';
import { MASQUERADE_DIR } from './repoPaths';

export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = /^(CCACHE_|SCCACHE_|WARMCC_|MAKE|MFLAGS$|CC$|CXX$|CFLAGS$|CXXFLAGS$|CPPFLAGS$|LDFLAGS$|LDLIBS$|GCC_|COMPILER_PATH$|RUSTC_WRAPPER$)/;
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !drop.test(k)) env[k] = v;
  // a masquerade directory (/usr/lib/ccache, warmcc's bin/masq) on PATH would put "plain" gcc
  // through a cache
  env.PATH = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !/ccache/.test(d) && path.resolve(d || '.') !== MASQUERADE_DIR)
    .join(path.delimiter);
  env.LC_ALL = 'C';
  return env;
}
