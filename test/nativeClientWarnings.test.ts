// The native client compiles without a single warning, with the strict flags of
// wrapper/build.mjs, under every C compiler installed here (gcc and clang in CI). The build itself
// retries without them so that a user whose compiler warns still gets the native client; this
// test is what keeps the code clean.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, which } from './support/warmccEnv';

/** STRICT_C_FLAGS as wrapper/build.mjs declares them (read from it: one list, not two). */
function strictFlagsOfTheBuild(): string[] {
  const buildScript = fs.readFileSync(path.join(repoRoot, 'wrapper', 'build.mjs'), 'utf8');
  const declaration = /const STRICT_C_FLAGS = \[([^\]]*)\];/.exec(buildScript);
  assert.ok(declaration, 'wrapper/build.mjs declares const STRICT_C_FLAGS = [...]');
  const flags = [...declaration[1]!.matchAll(/'([^']+)'/g)].map((match) => match[1]!);
  assert.ok(flags.includes('-Werror'), `STRICT_C_FLAGS has -Werror: ${flags.join(' ')}`);
  return flags;
}

for (const cc of ['gcc', 'clang']) {
  const skip = which(cc) ? false : `${cc} is not installed`;
  test(`the native client has no warning under ${cc} -O2 -Wall -Wextra and the strict flags`, { skip }, () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-warn-'));
    try {
      const result = spawnSync(
        cc,
        [
          '-O2',
          '-Wall',
          '-Wextra',
          ...strictFlagsOfTheBuild(),
          '-DWARMCC_DEFAULT_NODE="/usr/bin/node"',
          '-c',
          '-o',
          path.join(out, 'warmcc.o'),
          path.join(repoRoot, 'wrapper', 'client', 'warmcc.c'),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, `${cc} rejected wrapper/client/warmcc.c:\n${result.stderr}`);
      assert.equal(result.stderr, '', `${cc} said something about wrapper/client/warmcc.c`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
}
