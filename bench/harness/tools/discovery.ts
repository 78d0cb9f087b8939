// Which of the requested cache tools can run here, their version lines for the report, and
// why the others are skipped. The warmcc variants share the warmcc client, so they run only
// when the warmcc row does (warmcc-remote also needs redis-server).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { firstLine, which } from '../commands';
import { killLeftovers } from '../processes';
import { progress } from '../progress';
import { REPO } from '../repoPaths';
import { WARMCC_VARIANTS, type ToolId } from '../toolIds';
import { warmccEnv } from './warmcc';

export interface FoundTool {
  exe: string;
  version: string;
}

export interface ToolDiscovery {
  found: Map<ToolId, FoundTool>;
  /** one version line per tool binary found */
  versions: string[];
  /** the note on the rows of a requested tool that was not found */
  whySkipped(id: ToolId): string;
}

/** `tools` in report order (warmcc before its variants); `env` is the base environment. */
export async function findTools(
  tools: readonly ToolId[],
  warmccBin: string,
  work: string,
  sockDir: string,
  logDir: string,
  env: NodeJS.ProcessEnv,
): Promise<ToolDiscovery> {
  const toolVersions: string[] = [];
  const found = new Map<ToolId, FoundTool>();
  /** why a tool is skipped, where it is not simply missing */
  const skipReasons = new Map<ToolId, string>();
  for (const id of tools) {
    if (WARMCC_VARIANTS.includes(id)) {
      // same binary as warmcc: usable when warmcc was found
      const warmcc = found.get('warmcc');
      if (!warmcc) {
        skipReasons.set(id, `skipped: needs the warmcc row (--tools warmcc,${id})`);
        progress(`${id}: ${skipReasons.get(id)}`);
      } else if (id === 'warmcc-remote' && !which('redis-server', env)) {
        skipReasons.set(id, 'skipped: redis-server not installed');
        progress(`warmcc-remote: ${skipReasons.get(id)}`);
      } else found.set(id, warmcc);
      continue;
    }
    if (id === 'warmcc') {
      let usable = false;
      try {
        fs.accessSync(warmccBin, fs.constants.X_OK);
        usable = true;
      } catch {
        /* missing */
      }
      if (!usable) {
        progress(`warmcc: skipped, ${warmccBin} not found or not executable (run \`npm run build\`)`);
        continue;
      }
      if (!fs.existsSync(path.join(REPO, 'dist', 'server.js'))) progress('warmcc: note: dist/server.js is missing; the server may not start');
      // isolated env, in case even --version talks to (or starts) a server
      const versionSocket = path.join(sockDir, 'version.sock');
      const v = await firstLine(
        warmccBin,
        ['--version'],
        work,
        warmccEnv(path.join(work, 'warmcc-version'), versionSocket, path.join(logDir, 'warmcc-version.log')),
      );
      const left = await killLeftovers('warmcc --version', ['WARMCC_SOCKET', versionSocket]);
      if (left) progress(left);
      found.set(id, { exe: warmccBin, version: v });
      toolVersions.push(`warmcc ${v.replace(/^warmcc\s*/i, '')}`);
    } else {
      const exe = which(id, env);
      if (!exe) {
        progress(`${id}: skipped, not installed`);
        continue;
      }
      const v = await firstLine(exe, ['--version'], work);
      found.set(id, { exe, version: v });
      toolVersions.push(v);
    }
  }
  const shown = warmccBin.startsWith(REPO + path.sep) ? path.relative(REPO, warmccBin) : warmccBin;
  return {
    found,
    versions: toolVersions,
    whySkipped: (id) => skipReasons.get(id) ?? (id.startsWith('warmcc') ? `skipped: ${shown} not found (npm run build)` : `skipped: ${id} not installed`),
  };
}
