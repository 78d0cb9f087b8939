// Exactly one server per socket path, even when eight clients auto-start servers at once.
// The lock is a Linux abstract-namespace socket named after the socket path: binding it is
// atomic, and the kernel releases it when the process dies, so a crash never leaves a stale
// lock behind (a lock file would).

import { createHash } from 'node:crypto';
import * as net from 'node:net';

export function acquireServerLock(socketPath: string): Promise<net.Server | undefined> {
  const uid = process.getuid?.() ?? 0;
  const name = `\0warmcc-${uid}-${createHash('sha256').update(socketPath).digest('hex').slice(0, 32)}`;
  return new Promise((resolve, reject) => {
    // nobody talks to the lock: connections to it are closed at once
    const lock = net.createServer((connection) => connection.destroy());
    lock.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(new Error(`cannot take the server lock for ${socketPath}: ${error.message}`));
    });
    lock.listen(name, () => {
      lock.unref();
      resolve(lock);
    });
  });
}
