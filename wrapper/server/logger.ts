// The server's log: stderr, which a clean start points at the log file (WARMCC_LOG).

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${message}\n`);
}
