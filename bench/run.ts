// warmcc benchmark: full-build wall time of a generated C/C++ project with no cache, warmcc,
// ccache and sccache (cold and warm), plus the per-call cost of a cache hit. It only reports:
// nothing here asserts on time. Every warm number is checked against the tool's own hit
// counters, so a cache that silently misses cannot produce a fast-looking row.
//
//   npm run bench -- [--quick] [--runs N] [--json [file]] [--keep] [--tools warmcc,warmcc-direct,ccache,...]
//                    [--jobs N] [--calls N] [--compiler gcc|clang] [--seed N] [--workdir DIR]
//                    [--timeout SECONDS] [--warmcc PATH]
//
// This file only wires the run together; the parts are in bench/harness/ (see bench/README.md).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateProject } from './generateProject';
import { baseEnv } from './harness/baseEnv';
import { parseCommandLine, UsageError, USAGE, type BenchOptions } from './harness/cli';
import { Aborted, abortOnSignals, firstLine, isAborted, run, which } from './harness/commands';
import { setClockTicks } from './harness/cpuSampling';
import { commandLine, describeMachine, type MachineInfo } from './harness/machine';
import { probeWarmccAutoStart } from './harness/measure/autoStart';
import type { BenchContext } from './harness/measure/benchContext';
import { measureBuilds } from './harness/measure/builds';
import { perCall, SMALL_C } from './harness/measure/perCall';
import { benchTool, skipTool } from './harness/measure/toolRows';
import { killLeftovers } from './harness/processes';
import { progress } from './harness/progress';
import { startBenchRedis } from './harness/redisServer';
import { markdownReport, writeJsonReport } from './harness/report';
import { ALL_TOOLS, WARMCC_VARIANTS } from './harness/toolIds';
import { makeCcache } from './harness/tools/ccache';
import { findTools } from './harness/tools/discovery';
import { makeSccache } from './harness/tools/sccache';
import type { ServerStops, Tool } from './harness/tools/tool';
import { makeWarmcc } from './harness/tools/warmcc';
import { createWorkDir, keepOrRemoveWorkDir } from './harness/workDir';

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    const parsed = parseCommandLine(process.argv.slice(2));
    if (parsed.kind === 'help') {
      console.log(USAGE);
      return 0;
    }
    opts = parsed.options;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  abortOnSignals();
  const workDir = createWorkDir(opts.workRoot);
  const { work, sockDir, logDir } = workDir;

  const stops: ServerStops = new Map();
  let exitCode = 0;
  let ctx: BenchContext | undefined;
  let machine: MachineInfo | undefined;
  const command = commandLine();
  try {
    const cc = opts.compiler;
    const cxx = opts.compiler === 'gcc' ? 'g++' : 'clang++';
    const env = baseEnv();
    const tck = Number(await firstLine('getconf', ['CLK_TCK'], work));
    if (Number.isInteger(tck) && tck > 0) setClockTicks(tck);
    for (const exe of ['make', cc, cxx]) {
      if (!which(exe, env)) throw new Error(`${exe} not found on PATH`);
    }

    const tools = await findTools(opts.tools, opts.warmccBin, work, sockDir, logDir, env);
    machine = await describeMachine(cc, tools.versions, work);

    // project
    const projectDir = path.join(work, 'project');
    const project = generateProject(projectDir, { seed: opts.seed, quick: opts.quick });
    const smallDir = path.join(work, 'small');
    fs.mkdirSync(smallDir, { recursive: true });
    fs.writeFileSync(path.join(smallDir, 'small.c'), SMALL_C);
    progress(
      `work dir ${work}; project: ${project.cSources.length} C + ${project.cxxSources.length} C++ files, ${project.headers.length} headers, ${project.compileUnits} compile units; make -j${opts.jobs}; ${opts.runs} run(s)`,
    );
    ctx = {
      opts,
      work,
      project,
      projectDir,
      smallDir,
      logDir,
      cc,
      cxx,
      builds: [],
      hits: [],
      serverStarts: [],
      events: [],
    };

    // warm the page cache (compiler binaries, system headers) so the first timed build is not
    // penalised: preprocess + compile one C and one C++ file, untimed
    progress('warming up the compilers (untimed)');
    for (const [exe, src, extra] of [
      [cc, project.cSources[1]!, []],
      [cxx, project.cxxSources[0]!, ['-std=c++17']],
    ] as const) {
      await run(exe, ['-Iinclude', ...extra, '-O2', '-g', '-c', src, '-o', path.join(work, 'warmup.o')], {
        cwd: projectDir,
        env,
        logFile: path.join(logDir, 'warmup.log'),
        timeoutMs: 120_000,
      });
    }

    // plain
    const plain = await measureBuilds(ctx, 'plain (no cache)', 'plain', undefined, {}, opts.runs);
    if (plain.status === 'failed') throw new Error(`the plain build failed: ${plain.notes.join('; ')} (logs: ${logDir}; use --keep)`);
    await perCall(ctx, 'plain', `${cc} -c small.c -o small.o`, cc, ['-c', 'small.c', '-o', 'small.o'], env, undefined);

    // cache tools, in a fixed order
    for (const id of ALL_TOOLS) {
      if (!opts.tools.includes(id)) continue;
      const info = tools.found.get(id);
      if (!info) {
        skipTool(ctx, id, tools.whySkipped(id));
        continue;
      }
      let tool: Tool;
      if (id === 'ccache') tool = makeCcache(work, info.exe, info.version);
      else if (id === 'sccache') tool = await makeSccache(work, info.exe, info.version);
      else if (id === 'warmcc-remote') {
        const redis = await startBenchRedis(which('redis-server', env)!, work);
        stops.set('redis-server', redis.stop);
        tool = makeWarmcc(work, info.exe, sockDir, info.version, 'warmcc-remote', redis.url);
      } else if (WARMCC_VARIANTS.includes(id)) tool = makeWarmcc(work, info.exe, sockDir, info.version, id);
      else {
        await probeWarmccAutoStart(ctx, info.exe, sockDir, stops);
        tool = makeWarmcc(work, info.exe, sockDir, info.version);
      }
      await benchTool(ctx, tool, stops);
    }
  } catch (error) {
    if (error instanceof Aborted || isAborted()) {
      exitCode = 130;
      progress('aborted');
    } else {
      exitCode = 1;
      console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    }
  } finally {
    for (const [key, stop] of [...stops].reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(`bench: stopping ${typeof key === 'string' ? key : key.id} failed: ${(error as Error).message}`);
      }
    }
    // anything still carrying our markers (e.g. a server auto-started in a failed phase)
    for (const marker of [
      ['WARMCC_SOCKET', path.join(sockDir, 'warmcc.sock')],
      ['SCCACHE_DIR', path.join(work, 'sccache')],
    ] as [string, string][]) {
      const note = await killLeftovers(marker[0], marker);
      if (note) {
        ctx?.events.push(note);
        progress(note);
      }
    }
  }

  if (ctx && machine && ctx.builds.length > 0) {
    const text = markdownReport(ctx, machine, command, exitCode === 130 ? 'Interrupted' : exitCode !== 0 ? 'Stopped by an error' : undefined);
    process.stdout.write(`\n${text}\n`);
    if (opts.json !== undefined) writeJsonReport(ctx, opts, machine, command, exitCode === 130);
  }

  keepOrRemoveWorkDir(workDir, opts.keep);
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
