// Where a server's socket is: one rule for every party that looks for it — the native client
// (wrapper/client/warmcc.c, socket_path_rule), the Node client, the CLI, the server and the
// extension. test/socketPath.test.ts holds the C client to this file under every combination of
// WARMCC_SOCKET, XDG_RUNTIME_DIR and TMPDIR.
//
// - WARMCC_SOCKET, when set and not empty: as given if absolute, else after the working
//   directory and a '/';
// - else $XDG_RUNTIME_DIR/warmcc/server.sock, when XDG_RUNTIME_DIR is an absolute path (the XDG
//   spec says to ignore a relative one), trailing slashes removed;
// - else /tmp/warmcc-<uid>/server.sock.
//
// TMPDIR is deliberately not consulted: it differs between shells, IDEs and build sandboxes of
// one user, and every process of that user must find the same server. String operations only
// (no normalisation), so the C client computes exactly the same bytes.

type Env = Readonly<Record<string, string | undefined>>;

export const SOCKET_FILE_NAME = 'server.sock';

/** The private (0700) directory of a user's default socket and of the editor's workspace
 *  sockets. */
export function socketDirectory(env: Env, uid: number): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && runtime.startsWith('/')) return `${runtime.replace(/\/+$/, '')}/warmcc`;
  return `/tmp/warmcc-${uid}`;
}

/** The socket clients and servers use: WARMCC_SOCKET, else the default in socketDirectory. */
export function socketPath(env: Env, uid: number, cwd: string): string {
  const custom = env.WARMCC_SOCKET;
  if (custom) return custom.startsWith('/') ? custom : `${cwd.replace(/\/+$/, '')}/${custom}`;
  return `${socketDirectory(env, uid)}/${SOCKET_FILE_NAME}`;
}

/** The socket of an editor window's own server, by a workspace id (the extension hashes the
 *  workspace's URI), in the same private directory. */
export function workspaceSocketPath(env: Env, uid: number, workspaceId: string): string {
  return `${socketDirectory(env, uid)}/ws-${workspaceId}.sock`;
}
