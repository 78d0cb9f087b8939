// Test support for remote tiers: a "machine" is a warmcc server with its own local cache
// directory and its own copy of a small multi-file C project, configured with WARMCC_REMOTE.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StatsSnapshot, TierSnapshot } from '../../wrapper/contract/stats';
import { createSandbox, runWithTimeout, warmccBin, writeFiles, type WarmccSandbox } from './warmccEnv';

const SOURCES = 6;

/** A small multi-file C project with a shared header and a linked program. */
export function projectFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'include/shapes.h': '#pragma once\nstruct point { int x, y; };\nint area(int index);\n',
    'src/main.c': `#include <stdio.h>\n#include "shapes.h"\nint main(void) { int sum = 0; for (int i = 0; i < ${SOURCES - 1}; i++) sum += area(i); printf("%d\\n", sum); return 0; }\n`,
  };
  const parts: string[] = [];
  for (let i = 0; i < SOURCES - 1; i++) {
    files[`src/part${i}.c`] =
      `#include <string.h>\n#include "shapes.h"\nstatic int part${i}(struct point p) { return p.x * p.y + ${i}; }\nint area_${i}(void) { struct point p = { ${i + 2}, ${i + 3} }; return part${i}(p); }\n`;
    parts.push(`area_${i}`);
  }
  files['src/area.c'] =
    `#include "shapes.h"\n${parts.map((name) => `int ${name}(void);`).join('\n')}\nint area(int index) { switch (index) { ${parts.map((name, i) => `case ${i}: return ${name}();`).join(' ')} } return 0; }\n`;
  const objects = Object.keys(files)
    .filter((name) => name.endsWith('.c'))
    .map((name) => name.replace(/^src\//, 'build/').replace(/\.c$/, '.o'));
  files.Makefile = `OBJECTS = ${objects.join(' ')}\nprogram: $(OBJECTS)\n\tgcc -o $@ $^\nbuild/%.o: src/%.c include/shapes.h\n\t@mkdir -p build\n\t$(WARMCC) gcc -O2 -Wall -Iinclude -c $< -o $@\nclean:\n\trm -rf build program\n`;
  return files;
}

/** objects the project compiles */
export const OBJECT_COUNT = SOURCES + 1; // the parts, area.c and main.c

export interface Machine {
  sandbox: WarmccSandbox;
  project: string;
  build(extraEnv?: Record<string, string>, makeArgs?: string[]): Promise<void>;
  objects(): Map<string, Buffer>;
  stats(): StatsSnapshot;
  /** the stats rows of the local tier and of the (one) remote tier */
  localTier(): TierSnapshot;
  remoteTier(): TierSnapshot;
}

/** `extraFiles` are added to (or replace files of) the project. */
/** `remote` undefined: no WARMCC_REMOTE at all (e.g. tiers from warmcc.conf). `projectDir`:
 *  where the project copy goes (default: inside the machine's sandbox). */
export function machine(
  name: string,
  remote: string | undefined,
  extraEnv: Record<string, string> = {},
  extraFiles: Record<string, string> = {},
  projectDir?: string,
): Machine {
  // preprocessor mode unless a test asks otherwise: one stored entry per object, so tier counters
  // count results (direct mode's manifests, stored beside them, have their own test)
  const sandbox = createSandbox(name, { WARMCC_DIRECT: '0', ...(remote === undefined ? {} : { WARMCC_REMOTE: remote }), ...extraEnv });
  // each machine builds its own copy, in its own directory
  const project = projectDir ?? path.join(sandbox.dir, 'project');
  writeFiles(project, { ...projectFiles(), ...extraFiles });
  const result: Machine = {
    sandbox,
    project,
    async build(buildEnv = {}, makeArgs = ['-j2']) {
      const make = await runWithTimeout('make', [...makeArgs, `WARMCC=${warmccBin}`], {
        cwd: project,
        env: { ...sandbox.env, ...buildEnv },
        timeoutMs: 180_000,
      });
      assert.equal(make.code, 0, `make failed on ${name}: ${make.stderr}`);
      const run = await runWithTimeout(path.join(project, 'program'), [], { cwd: project, env: sandbox.env, timeoutMs: 10_000 });
      assert.equal(run.code, 0, 'the linked program runs');
    },
    objects() {
      const buildDir = path.join(project, 'build');
      return new Map(
        fs
          .readdirSync(buildDir)
          .sort()
          .map((file) => [file, fs.readFileSync(path.join(buildDir, file))]),
      );
    },
    stats: () => sandbox.stats(),
    localTier: () => tierRow(result.stats(), true),
    remoteTier: () => tierRow(result.stats(), false),
  };
  return result;
}

function tierRow(stats: StatsSnapshot, local: boolean): TierSnapshot {
  const tiers = stats.tiers;
  assert.equal(tiers.length, 2, `local disk and one remote tier (have ${tiers.map((t) => t.name).join(', ')})`);
  return tiers[local ? 0 : 1]!;
}

export function clean(m: Machine): void {
  fs.rmSync(path.join(m.project, 'build'), { recursive: true, force: true });
  fs.rmSync(path.join(m.project, 'program'), { force: true });
}

/** Stops the server (it finishes its remote writes first) so what it stored is all there. */
export function settle(m: Machine): void {
  m.sandbox.stop();
}
