// What the request journal (WARMCC_JOURNAL_SIZE, docs/architecture.md "Journal and explain")
// costs a warm rebuild: the generated project (bench/generateProject.ts) is built cold once, then
// rebuilt warm with the journal on (default size) and off (0), in preprocessor and direct mode,
// alternating, each with a fresh server on the same cache. Reports the median wall time per
// variant and the journal bytes one warm build adds. Every warm build must be all hits.
// First, less sensitive to a busy machine: the server's CPU time to build and write one record
// (look up the header hashes, encode, append; the line markers are read by the lookup stage) for
// a C++ file including <vector>, <map>, <string>, <algorithm>, <memory>, <regex>, measured
// in-process: a preprocessed result seen for the first time, one seen before, a direct hit.
//   node --import tsx bench/journalOverhead.ts [--runs N] [--quick] [--no-builds]

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateProject } from './generateProject';
import { parseCompilerArgs } from '../wrapper/compilers/argParser';
import { computeCacheKey } from '../wrapper/keys/cacheKey';
import { compilerIdentity } from '../wrapper/keys/compilerIdentity';
import { includedFiles } from '../wrapper/direct/lineMarkers';
import { journalRecord } from '../wrapper/explain/journalRecord';
import { relocation } from '../wrapper/pipeline/baseDirs';
import type { StageResults } from '../wrapper/pipeline/stages';
import { createHash } from 'node:crypto';
import { Journal } from '../wrapper/explain/journal';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WARMCC = path.join(REPO, 'bin', 'warmcc');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, quick: { type: 'boolean', default: false }, 'no-builds': { type: 'boolean', default: false } },
});
const runs = Number(values.runs);

/** CPU ms per journal record of one C++ compile (the work done after each reply) */
async function recordCost(records: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-jrec-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'b.cc'),
      '#include <algorithm>\n#include <map>\n#include <memory>\n#include <regex>\n#include <string>\n#include <vector>\nint g() { return 1; }\n',
    );
    const args = ['-O2', '-g', '-c', 'b.cc', '-o', 'b.o'];
    const parsed = parseCompilerArgs('gcc', args, dir);
    if (!parsed.cacheable) throw new Error(`not cacheable: ${parsed.reason}`);
    const compiler = execFileSync('sh', ['-c', 'command -v g++'], { encoding: 'utf8' }).trim();
    const identity = (await compilerIdentity(compiler, { PATH: process.env.PATH }))!;
    const preprocessed = execFileSync(compiler, [...parsed.preprocessorArgs, '-E', 'b.cc'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    const request = {
      argv: [compiler, ...args],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      stdoutIsTty: false,
      stderrIsTty: false,
      pid: 1,
      umask: 0o022,
    };
    const journal = new Journal(path.join(dir, 'journal', 'j.jsonl'), 4 * 1024 ** 2, (message) => console.error(message));
    const computed = computeCacheKey({ identity, compile: parsed, preprocessed, cwd: dir, env: request.env });
    // the lookup stage reads the line markers once (pipeline/modes/preprocessorMode.ts); the journal reuses them
    const lineIncludes = includedFiles(preprocessed, dir);
    const prepared = {
      compiler,
      identity,
      location: relocation(dir, []),
      parsed,
      file: 'b.cc',
      sourcePath: path.join(dir, 'b.cc'),
      debugMap: [],
      env: request.env,
      recache: false,
      startedAt: 0,
    };
    const preparation = { kind: 'prepared' as const, prepared };
    const lookup = { preprocessed: { computed, includes: lineIncludes, startedAt: 0 } };
    const reply = { kind: 'exit' as const, code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
    const includes = journalRecord(request, { at: 0, preparation, lookup }, reply).includes!;
    const filesRead = includes.map(([file]): [string, string] => [file, createHash('sha256').update(fs.readFileSync(file)).digest('hex')]);
    const entry = { files: [], stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), compileMs: 0 };
    const kinds: [string, (i: number) => StageResults][] = [
      [
        'preprocessed, result key first seen',
        (i) => ({ at: i, preparation, lookup, served: { resultKey: `${computed.key}${i}`, entry, via: 'preprocessed' } }),
      ],
      ['preprocessed, result key seen before', (i) => ({ at: i, preparation, lookup, served: { resultKey: computed.key, entry, via: 'preprocessed' } })],
      ['direct hit', (i) => ({ at: i, preparation, served: { resultKey: computed.key, entry, via: 'direct', filesRead } })],
    ];
    console.log(
      `one journal record of a C++ compile (${(preprocessed.length / 1024).toFixed(0)} KiB preprocessed, ${includes.length} includes), ${records} records each:`,
    );
    for (const [name, trace] of kinds) {
      const one = (i: number): void => {
        journal.add(() => journalRecord(request, trace(i), reply));
        journal.flush();
      };
      one(-1); // first record: header hashes read once, definitions written
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < records; i++) one(i);
      const used = process.cpuUsage(cpu);
      console.log(
        `  ${name.padEnd(38)} ${((used.user + used.system) / 1000 / records).toFixed(2)} ms CPU, ${((performance.now() - start) / records).toFixed(2)} ms wall per record`,
      );
    }
    console.log(`  journal: ${fs.statSync(path.join(dir, 'journal', 'j.jsonl')).size} bytes for ${3 * (records + 1)} records`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** warm rebuilds of the generated project with the journal on and off */
function warmBuilds(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-jbench-'));
  const project = generateProject(path.join(work, 'project'), { quick: values.quick });
  // direct mode does not record files modified in the last seconds
  const past = new Date(Date.now() - 120_000);
  for (const file of [...project.cSources, ...project.cxxSources, ...project.headers]) fs.utimesSync(path.join(project.dir, file), past, past);

  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    WARMCC_DIR: path.join(work, 'cache'),
    WARMCC_SOCKET: path.join(work, 's.sock'),
    WARMCC_LOG: path.join(work, 'log'),
    WARMCC_IDLE_TIMEOUT: '0',
  };
  for (const name of Object.keys(baseEnv)) if (name.startsWith('MAKE') || name === 'MFLAGS') delete baseEnv[name];
  const jobs = String(os.cpus().length);
  const make = ['-j', jobs, `CC=${WARMCC} gcc`, `CXX=${WARMCC} g++`];

  function warmcc(args: string[], env: NodeJS.ProcessEnv): string {
    return execFileSync(WARMCC, args, { env, encoding: 'utf8' });
  }
  function counters(env: NodeJS.ProcessEnv): { hits: number; misses: number } {
    const stats = JSON.parse(warmcc(['-s', '--stats-format', 'json'], env)) as { cacheHits: number; cacheMisses: number };
    return { hits: stats.cacheHits, misses: stats.cacheMisses };
  }
  function journalBytes(env: NodeJS.ProcessEnv): number {
    const file = (JSON.parse(warmcc(['--show-config', '--stats-format', 'json'], env)) as { journalFile: string }).journalFile;
    return [file, file.replace(/\.jsonl$/, '.1.jsonl')].reduce((sum, name) => sum + (fs.statSync(name, { throwIfNoEntry: false })?.size ?? 0), 0);
  }
  function build(env: NodeJS.ProcessEnv): number {
    spawnSync('make', ['clean'], { cwd: project.dir, env, stdio: 'ignore' });
    const start = performance.now();
    const result = spawnSync('make', make, { cwd: project.dir, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`make failed: ${result.stderr}`);
    return (performance.now() - start) / 1000;
  }

  const variants = [
    { name: 'preprocessor mode, journal on', env: {} },
    { name: 'preprocessor mode, journal off', env: { WARMCC_JOURNAL_SIZE: '0' } },
    { name: 'direct mode, journal on', env: { WARMCC_DIRECT: '1' } },
    { name: 'direct mode, journal off', env: { WARMCC_DIRECT: '1', WARMCC_JOURNAL_SIZE: '0' } },
  ];
  const times = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  const added = new Map<string, number>();
  try {
    warmcc(['--start-server'], { ...baseEnv, WARMCC_DIRECT: '1' });
    console.log(`cold build (${project.compileUnits} compiles, -j${jobs}): ${build({ ...baseEnv, WARMCC_DIRECT: '1' }).toFixed(2)} s`);
    for (let run = 0; run < runs; run++) {
      for (const variant of variants) {
        const env = { ...baseEnv, ...variant.env };
        warmcc(['--stop-server'], env);
        warmcc(['--start-server'], env);
        build(env); // fills the fresh server's in-memory caches (compiler identity, file hashes)
        const before = counters(env);
        const bytes = journalBytes(env);
        times.get(variant.name)!.push(build(env));
        const after = counters(env);
        if (after.misses !== before.misses || after.hits - before.hits !== project.compileUnits) {
          throw new Error(`${variant.name}: not all hits (${JSON.stringify({ before, after })})`);
        }
        added.set(variant.name, journalBytes(env) - bytes);
      }
    }
    const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    console.log(`warm rebuilds, ${runs} runs each, median (all runs):`);
    for (const variant of variants) {
      const list = times.get(variant.name)!;
      console.log(
        `  ${variant.name.padEnd(32)} ${median(list).toFixed(2)} s  (${list.map((t) => t.toFixed(2)).join(', ')}); journal +${added.get(variant.name)} bytes per build`,
      );
    }
  } finally {
    spawnSync(WARMCC, ['--stop-server'], { env: baseEnv, stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

recordCost(200).then(
  () => {
    if (!values['no-builds']) warmBuilds();
  },
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
