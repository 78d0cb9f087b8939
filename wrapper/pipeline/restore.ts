// Stage 3a, restore: a hit's outputs written where the compile would have put them, counted, and
// its output replayed. Undefined when the outputs cannot be written (the compile then runs and
// reports the real error).

import { restoredOutputs } from '../outputs/dependencyTargets';
import { writeOutputs } from '../outputs/outputFiles';
import { now } from './prepare';
import { announce, replayed, type CompileReply } from './reply';
import type { CachedResult, CompileJob } from './stages';

export async function restore(job: CompileJob, result: CachedResult): Promise<CompileReply | undefined> {
  const { request, context, prepared } = job;
  const { parsed, file } = prepared;
  const { entry, via, resultKey } = result;
  try {
    await writeOutputs(request.cwd, request.umask, parsed.outputs, restoredOutputs(parsed, entry.files));
  } catch (error) {
    context.log(`cannot restore ${file} from cache: ${(error as Error).message}`);
    return undefined;
  }
  const ms = now() - prepared.startedAt;
  context.stats.hit(file, parsed.language, ms, entry.compileMs, via === 'direct');
  context.debug(`${via} hit ${file} ${resultKey.slice(0, 12)} ${ms.toFixed(1)}ms`);
  announce(context, request, parsed, 'hit', entry.stderr);
  return replayed(parsed, request, 0, entry.stdout, entry.stderr);
}
