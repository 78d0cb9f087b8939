// Jobserver hygiene (GNU make, cargo). The server must never hold a build's jobserver: a daemon
// that keeps make's pipe or fifo open makes `make -j` wait forever for EOF (sccache's bug).

const JOBSERVER_VARIABLES = ['MAKEFLAGS', 'MFLAGS', 'CARGO_MAKEFLAGS'] as const;
const JOBSERVER_WORD = /^--jobserver-(auth|fds)=/;

type Env = Record<string, string | undefined>;

/** Drops the jobserver words that `keep` rejects; drops a variable when nothing else remains. */
function filterJobserverWords(env: Env, keep: (word: string) => boolean): Env {
  const result: Env = { ...env };
  for (const name of JOBSERVER_VARIABLES) {
    const value = result[name];
    if (value === undefined) continue;
    const words = value.split(/\s+/).filter((word) => word !== '');
    const kept = words.filter((word) => !JOBSERVER_WORD.test(word) || keep(word));
    if (kept.length === words.length) continue;
    if (kept.length === 0) delete result[name];
    else result[name] = (value.startsWith(' ') ? ' ' : '') + kept.join(' ');
  }
  return result;
}

/** For the server's own environment: no jobserver of any style. */
export function withoutJobserver(env: Env): Env {
  return filterJobserverWords(env, () => false);
}

/** For a compile run by the server: a fifo jobserver (`fifo:PATH`) is reachable from any process,
 *  so it stays (gcc -flto=auto opens and closes it itself); a pipe jobserver (`R,W` fds) lives in
 *  the client's fd table, not ours, so it is removed rather than pointing at unrelated fds. */
export function jobserverForCompile(env: Env): Env {
  return filterJobserverWords(env, (word) => word.startsWith('--jobserver-auth=fifo:'));
}
