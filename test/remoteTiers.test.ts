// Remote tiers with real servers started by the tests on loopback: redis-server, memcached,
// nginx with WebDAV PUT, and (no S3 server can be installed here) the S3 protocol emulator
// s3rver. Two "machines" are two warmcc servers with their own local cache directories and
// their own copies of a project, sharing one remote.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { createSandbox, runWithTimeout, warmccBin, writeFiles, type WarmccSandbox } from './support/warmccEnv';
import {
  memcachedBinary,
  missingMessage,
  nginxBinary,
  redisBinary,
  startDelayProxy,
  startMemcached,
  startNginxDav,
  startRedis,
  startS3Emulator,
  type RunningServer,
} from './support/remoteServers';

const SOURCES = 6;

/** A small multi-file C project with a shared header and a linked program. */
function projectFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'include/shapes.h': '#pragma once\nstruct point { int x, y; };\nint area(int index);\n',
    'src/main.c': `#include <stdio.h>\n#include "shapes.h"\nint main(void) { int sum = 0; for (int i = 0; i < ${SOURCES - 1}; i++) sum += area(i); printf("%d\\n", sum); return 0; }\n`,
  };
  const parts: string[] = [];
  for (let i = 0; i < SOURCES - 1; i++) {
    files[`src/part${i}.c`] = `#include <string.h>\n#include "shapes.h"\nstatic int part${i}(struct point p) { return p.x * p.y + ${i}; }\nint area_${i}(void) { struct point p = { ${i + 2}, ${i + 3} }; return part${i}(p); }\n`;
    parts.push(`area_${i}`);
  }
  files['src/area.c'] = `#include "shapes.h"\n${parts.map((name) => `int ${name}(void);`).join('\n')}\nint area(int index) { switch (index) { ${parts.map((name, i) => `case ${i}: return ${name}();`).join(' ')} } return 0; }\n`;
  const objects = Object.keys(files).filter((name) => name.endsWith('.c')).map((name) => name.replace(/^src\//, 'build/').replace(/\.c$/, '.o'));
  files.Makefile = `OBJECTS = ${objects.join(' ')}\nprogram: $(OBJECTS)\n\tgcc -o $@ $^\nbuild/%.o: src/%.c include/shapes.h\n\t@mkdir -p build\n\t$(WARMCC) gcc -O2 -Wall -Iinclude -c $< -o $@\nclean:\n\trm -rf build program\n`;
  return files;
}

const OBJECT_COUNT = SOURCES + 1; // the parts, area.c and main.c

interface Machine {
  sandbox: WarmccSandbox;
  project: string;
  build(extraEnv?: Record<string, string>): Promise<void>;
  objects(): Map<string, Buffer>;
  stats(): Record<string, any>;
  /** the stats rows of the local tier and of the (one) remote tier */
  localTier(): Record<string, any>;
  remoteTier(): Record<string, any>;
}

function machine(name: string, remote: string, extraEnv: Record<string, string> = {}): Machine {
  const sandbox = createSandbox(name, { WARMCC_REMOTE: remote, ...extraEnv });
  // each machine builds its own copy, in its own directory
  const project = path.join(sandbox.dir, 'project');
  writeFiles(project, projectFiles());
  const result: Machine = {
    sandbox,
    project,
    async build(buildEnv = {}) {
      const make = await runWithTimeout('make', ['-j2', `WARMCC=${warmccBin}`], { cwd: project, env: { ...sandbox.env, ...buildEnv }, timeoutMs: 180_000 });
      assert.equal(make.code, 0, `make failed on ${name}: ${make.stderr}`);
      const run = await runWithTimeout(path.join(project, 'program'), [], { cwd: project, env: sandbox.env, timeoutMs: 10_000 });
      assert.equal(run.code, 0, 'the linked program runs');
    },
    objects() {
      const buildDir = path.join(project, 'build');
      return new Map(fs.readdirSync(buildDir).sort().map((file) => [file, fs.readFileSync(path.join(buildDir, file))]));
    },
    stats: () => sandbox.stats(),
    localTier: () => tierRow(result.stats(), true),
    remoteTier: () => tierRow(result.stats(), false),
  };
  return result;
}

function tierRow(stats: Record<string, any>, local: boolean): Record<string, any> {
  const tiers = stats.tiers as Record<string, any>[];
  assert.equal(tiers.length, 2, `local disk and one remote tier (have ${tiers.map((t) => t.name).join(', ')})`);
  return tiers[local ? 0 : 1]!;
}

function clean(m: Machine): void {
  fs.rmSync(path.join(m.project, 'build'), { recursive: true, force: true });
  fs.rmSync(path.join(m.project, 'program'), { force: true });
}

/** Stops the server (it finishes its remote writes first) so what it stored is all there. */
function settle(m: Machine): void {
  m.sandbox.stop();
}

const backends: { name: string; missing: string | undefined; start: () => Promise<RunningServer> }[] = [
  { name: 'Redis (redis-server)', missing: redisBinary ? undefined : missingMessage('redis-server', 'redis-server'), start: startRedis },
  { name: 'memcached', missing: memcachedBinary ? undefined : missingMessage('memcached', 'memcached'), start: () => startMemcached() },
  { name: 'HTTP (nginx WebDAV PUT)', missing: nginxBinary ? undefined : missingMessage('nginx', 'nginx-light'), start: startNginxDav },
  { name: 'S3 protocol emulator (s3rver from npm, not a real S3)', missing: undefined, start: () => startS3Emulator('warmcc-test') },
];

for (const backend of backends) {
  describe(`two machines sharing ${backend.name}`, { skip: backend.missing }, () => {
    let server: RunningServer;
    let a: Machine;
    let b: Machine;
    before(async () => {
      server = await backend.start();
      a = machine('tierA', server.url);
      b = machine('tierB', server.url);
    });
    after(async () => {
      a?.sandbox.cleanup();
      b?.sandbox.cleanup();
      await server?.stop();
    });

    test("machine B's build is all remote hits after machine A built, with byte-identical objects; B's local tier is then filled", async () => {
      await a.build();
      settle(a);
      const aStats = a.stats();
      assert.equal(aStats.cacheMisses, OBJECT_COUNT, 'A compiled everything');
      const aRemote = a.remoteTier();
      assert.equal(aRemote.writes, OBJECT_COUNT, 'A wrote every entry to the remote');
      assert.equal(aRemote.errors + aRemote.timeouts, 0);

      await b.build();
      settle(b);
      const bStats = b.stats();
      assert.equal(bStats.cacheHits, OBJECT_COUNT, 'every compile on B was a hit');
      assert.equal(bStats.cacheMisses, 0);
      const bLocal = b.localTier();
      const bRemote = b.remoteTier();
      assert.equal(bRemote.hits, OBJECT_COUNT, 'the hits came from the remote tier');
      assert.equal(bLocal.hits, 0, "B's local tier started empty");
      assert.equal(bLocal.writes, OBJECT_COUNT, 'every remote hit was written back to local disk');
      assert.ok(bRemote.bytesRead > 0 && bRemote.averageReadMs > 0);
      assert.deepEqual(b.objects(), a.objects(), 'byte-identical objects on both machines');

      // B again, from its own local tier now, without asking the remote
      clean(b);
      await b.build();
      settle(b);
      const again = b.stats();
      assert.equal(again.cacheHits, 2 * OBJECT_COUNT);
      assert.equal(b.localTier().hits, OBJECT_COUNT, 'the second build hit local disk');
      assert.equal(b.remoteTier().reads, OBJECT_COUNT, 'the remote was not asked again');
    });
  });
}
