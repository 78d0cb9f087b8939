// The pure Node client: same protocol and rules as the native client (warmcc.c), for machines
// without a C compiler. Slower to start (a Node process per compile), never less correct.
// bin/warmcc is then a shell script that runs this with WARMCC_INVOKED_AS set to its argv[0].

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isTruthy, loadConfig } from '../config/config';
import { encodeCompileRequest, encodePreface, FrameReader, FrameType } from '../contract/protocol';
import { ensureServer } from '../launcher/serverLauncher';

/** The wrapper scripts this client stands behind (bin/warmcc-node, or bin/warmcc where it is the
 *  script): skipped when resolving compilers, so masquerade links never call themselves. */
const selfPaths = [process.env.WARMCC_CLIENT_SELF, path.resolve(__dirname, '..', 'bin', 'warmcc')].filter((p): p is string => !!p);

function realpathOrSelf(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** PATH lookup that never returns warmcc itself (masquerade links point at it). */
export function resolveCompiler(name: string, pathVariable: string, selfPaths: string[]): string | undefined {
  if (name.includes('/')) return name;
  const selves = new Set(selfPaths.map(realpathOrSelf));
  for (const dir of pathVariable.split(':')) {
    const candidate = path.join(dir || '.', name);
    if (isExecutableFile(candidate) && !selves.has(realpathOrSelf(candidate))) return candidate;
  }
  return undefined;
}

const REPLACEMENT_CHARACTER = '\uFFFD';
/** xargs caps it at what the system allows */
const MAX_XARGS_LINE = 1024 * 1024;

/** Runs the compiler with the last `count` arguments exactly as this process received them
 *  (from /proc/self/cmdline, which Node does not decode), through xargs -0, which passes bytes
 *  as they are; the working directory is inherited as it is. Without /proc, as decoded. */
function runExactBytes(compiler: string, count: number): void {
  let raw: Buffer[];
  try {
    const words = fs.readFileSync('/proc/self/cmdline');
    raw = [];
    for (let start = 0; start < words.length;) {
      const end = words.indexOf(0, start);
      raw.push(words.subarray(start, end < 0 ? words.length : end));
      start = end < 0 ? words.length : end + 1;
    }
  } catch {
    return runLocally(compiler, process.argv.slice(-count));
  }
  const list = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'warmcc-args-')), 'argv');
  fs.writeFileSync(list, Buffer.concat(raw.slice(raw.length - count).map((arg) => Buffer.concat([arg, Buffer.from([0])]))), { mode: 0o600 });
  // -x: one run of the compiler with every argument, or none (never split into several runs)
  const child = spawn('xargs', ['-0', '-x', '-s', String(MAX_XARGS_LINE), '-a', list, compiler], { stdio: 'inherit' });
  const cleanUp = (): void => fs.rmSync(path.dirname(list), { recursive: true, force: true });
  child.on('error', (error) => {
    cleanUp();
    process.stderr.write(`warmcc: cannot run ${compiler} through xargs: ${error.message}\n`);
    process.exit(127);
  });
  child.on('close', (code, signal) => {
    cleanUp();
    if (signal) process.kill(process.pid, signal);
    // xargs answers 123 when the command failed with 1-125: the compiler's own status is lost
    process.exit(code === 123 ? 1 : (code ?? 1));
  });
}

/** Runs the compiler directly with our stdio, then exits with its status. */
function runLocally(compiler: string, args: string[]): void {
  const child = spawn(compiler, args, { stdio: 'inherit' });
  child.on('error', (error) => {
    process.stderr.write(`warmcc: cannot run ${compiler}: ${error.message}\n`);
    process.exit(127);
  });
  child.on('close', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
}

function compileThroughServer(socketPath: string, compiler: string, args: string[]): void {
  const socket = net.connect(socketPath);
  const reader = new FrameReader();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let finished = false;
  const umask = process.umask();
  socket.on('connect', () => {
    socket.write(
      Buffer.concat([
        encodePreface(),
        encodeCompileRequest({
          stdoutIsTty: process.stdout.isTTY === true,
          stderrIsTty: process.stderr.isTTY === true,
          cwd: process.cwd(),
          argv: [compiler, ...args],
          env: process.env as Record<string, string>,
          pid: process.pid,
          umask,
        }),
      ]),
    );
  });
  socket.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch {
      frames = [{ type: -1, body: Buffer.alloc(0) }];
    }
    for (const frame of frames) {
      if (finished) return;
      if (frame.type === FrameType.Stdout) stdout.push(frame.body);
      else if (frame.type === FrameType.Stderr) stderr.push(frame.body);
      else {
        finished = true;
        socket.destroy();
        if (frame.type === FrameType.Exit) {
          process.stdout.write(Buffer.concat(stdout));
          process.stderr.write(Buffer.concat(stderr), () => process.exit(frame.body.readInt32LE(0) & 0xff));
        } else if (frame.type === FrameType.RunLocally) {
          runLocally(compiler, args);
        } else {
          if (frame.type === FrameType.Error) {
            process.stderr.write(`warmcc: ${frame.body.subarray(4).toString()}; running the compiler directly\n`);
          }
          runLocally(compiler, args);
        }
      }
    }
  });
  const lost = (): void => {
    if (finished) return;
    finished = true;
    if (isTruthy(process.env.WARMCC_DEBUG)) process.stderr.write('warmcc: lost the server mid-request; running the compiler directly\n');
    runLocally(compiler, args);
  };
  socket.on('error', lost);
  socket.on('close', lost);
}

async function main(): Promise<void> {
  const invokedAs = path.basename(process.env.WARMCC_INVOKED_AS || 'warmcc');
  delete process.env.WARMCC_INVOKED_AS;
  delete process.env.WARMCC_CLIENT_SELF;
  let argv = process.argv.slice(2);
  if (invokedAs === 'warmcc' || invokedAs === 'warmcc-node') {
    if (argv.length === 0 || argv[0]!.startsWith('-')) {
      // management commands live in the CLI bundle next to this one
      const child = spawn(process.execPath, [path.join(__dirname, 'cli.js'), ...argv], { stdio: 'inherit' });
      child.on('close', (code) => process.exit(code ?? 1));
      return;
    }
  } else {
    argv = [invokedAs, ...argv];
  }
  const [name, ...args] = argv as [string, ...string[]];
  const compiler = resolveCompiler(name, process.env.PATH ?? '', selfPaths);
  if (!compiler) {
    process.stderr.write(`warmcc: cannot find the real compiler '${name}' on PATH (warmcc's own links are skipped)\n`);
    process.exit(127);
  }
  if (isTruthy(process.env.WARMCC_DISABLE)) return runLocally(compiler, args);
  // Node decodes argv as UTF-8: bytes that are not (a file named caf\xe9.c) arrive as U+FFFD and
  // could name another file. Such a call is run with its exact bytes, uncached.
  if ([...args, process.cwd()].some((arg) => arg.includes(REPLACEMENT_CHARACTER))) return runExactBytes(compiler, args.length);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`warmcc: ${(error as Error).message}; running the compiler directly\n`);
    return runLocally(compiler, args);
  }
  let reachable = false;
  try {
    reachable = await ensureServer(config);
  } catch (error) {
    process.stderr.write(`warmcc: cannot start the server: ${(error as Error).message}\n`);
  }
  if (!reachable) return runLocally(compiler, args);
  compileThroughServer(config.socketPath, compiler, args);
}

void main();
