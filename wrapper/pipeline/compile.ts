// Stage 3b, compile: the real compiler on a miss, with the user's own arguments (so preprocessor
// warnings and macro-expansion diagnostics are exactly the compiler's), colours forced on so one
// entry serves terminals and pipes, and in depend mode a dependency list. The outputs are read
// right after a successful compile: the build may move them once it has the reply.

import * as fs from 'node:fs';
import { forcedColorArgs } from '../outputs/diagnosticsColor';
import { readOutputs } from '../outputs/outputFiles';
import { readDependencies } from './modes/dependMode';
import { runProcess, type ProcessResult } from './runProcess';
import type { CompiledMiss, CompileJob, MissPlan } from './stages';

export async function compile(job: CompileJob, plan: MissPlan): Promise<CompiledMiss> {
  const { request, signal, prepared } = job;
  const { parsed } = prepared;
  const temporaryDependFile = plan.keyed === 'after' && plan.temporaryDependFile ? plan.dependFile : undefined;
  const dependArgs = temporaryDependFile ? ['-MD', '-MF', temporaryDependFile] : [];
  const args = [...prepared.debugMap, ...forcedColorArgs(parsed.color), ...parsed.expandedArgs, ...dependArgs];
  const startedAt = Date.now();
  let run: ProcessResult;
  try {
    run = await runProcess(prepared.compiler, args, { cwd: request.cwd, env: prepared.env, signal, umask: request.umask });
  } catch (error) {
    if (temporaryDependFile) fs.rmSync(temporaryDependFile, { force: true });
    throw error;
  }
  const storable = run.code === 0 && plan.keyed !== 'never' && !signal.aborted;
  const outputs = storable ? await readOutputs(request.cwd, parsed.outputs).catch((error: Error) => error) : undefined;
  // the temporary list is read and removed whatever the outcome
  const dependencies = plan.keyed === 'after' ? readDependencies(plan, outputs) : undefined;
  return { process: run, startedAt, outputs, dependencies };
}
