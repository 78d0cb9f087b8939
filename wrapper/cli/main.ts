// `warmcc --<command>`: the management commands (sccache's spelling), in Node. The native client
// hands every argument list that starts with '-' to this script, except --start-server and
// --socket-path, which it answers itself; compiles never come here.

import * as net from 'node:net';
import { parseArgs } from 'node:util';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { explainFromJournal } from '../explain/explainRequest';
import { journalFileFor } from '../explain/journal';
import { loadConfig, type WarmccConfig } from '../config/config';
import { clearCacheRequest, explainRequest, statsRequest, stopRequest, zeroStatsRequest, type ExplainParams, type ExplainResult } from '../contract/rpc';
import { canConnect, ensureServer } from '../launcher/serverLauncher';
import { formatBytes } from '../contract/format';
import { effectiveCodec } from '../storage/cacheEntry';
import { describeRemote } from '../config/remoteTiers';
import { socketPath } from '../contract/socketPath';
import { formatStatsText } from './statsFormat';

declare const WARMCC_VERSION: string;
const version = typeof WARMCC_VERSION === 'string' ? WARMCC_VERSION : 'dev';

const HELP = `warmcc ${version} — a compiler cache for C and C++

Usage:
  warmcc COMPILER ARGS...      compile through the cache (e.g. warmcc gcc -c a.c -o a.o)
  gcc ARGS...                  the same through a masquerade link (put bin/masq first on PATH)
  warmcc [OPTION]

Options:
      --start-server           start the server (clean: new session, no inherited fds, no jobserver)
      --stop-server            stop the server once running compiles finish
  -s, --show-stats             show statistics (--stats-format text|json)
      --stats-format FORMAT    text (default) or json, with -s
  -z, --zero-stats             reset statistics
  -C, --clear                  empty the local cache
      --show-config            show the effective configuration
      --socket-path            print the server socket this client uses (creates nothing)
      --explain FILE           why FILE's last compile missed: what changed since the most
                               similar earlier compile (--stats-format json for JSON)
  -V, --version                print the version
  -h, --help                   this help

Environment: WARMCC_DIR, WARMCC_CACHE_SIZE, WARMCC_SOCKET, WARMCC_LOG, WARMCC_IDLE_TIMEOUT,
WARMCC_START_TIMEOUT, WARMCC_DISABLE, WARMCC_RECACHE, WARMCC_JOURNAL_SIZE, WARMCC_REMOTE; server settings may
also be in $WARMCC_DIR/warmcc.conf (see docs/configuration.md).`;

class UsageError extends Error {}

/** Every option; all but --stats-format are commands, one per call. */
const OPTIONS = {
  'start-server': { type: 'boolean' },
  'stop-server': { type: 'boolean' },
  'show-stats': { type: 'boolean', short: 's' },
  'stats-format': { type: 'string' },
  'zero-stats': { type: 'boolean', short: 'z' },
  clear: { type: 'boolean', short: 'C' },
  'show-config': { type: 'boolean' },
  'socket-path': { type: 'boolean' },
  explain: { type: 'string' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Command = Exclude<keyof typeof OPTIONS, 'stats-format'>;

interface CommandLine {
  command: Command;
  /** --explain's source file */
  file: string;
  statsFormat: 'text' | 'json';
}

function isOptionName(name: string): name is keyof typeof OPTIONS {
  return Object.hasOwn(OPTIONS, name);
}

/** The command and its settings, or a UsageError worded for warmcc. parseArgs runs non-strict
 *  and the tokens are checked here, so every mistake gets warmcc's message and exit code 2
 *  rather than parseArgs's own wording. */
function parseCommandLine(args: string[]): CommandLine {
  const { tokens } = parseArgs({ args, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const parsed: CommandLine = { command: 'help', file: '', statsFormat: 'text' };
  let seen: string | undefined; // the command as given, for messages
  for (const token of tokens) {
    // the whole argument as typed: '-xy', not parseArgs's '-x' of it
    const raw = args[token.index] ?? '';
    if (token.kind !== 'option') {
      if (seen) throw new UsageError(`unexpected argument '${raw}' after ${seen}`);
      throw new UsageError(`unknown option '${raw}' (warmcc --help lists the options)`);
    }
    const name = token.name;
    const booleanWithValue = isOptionName(name) && OPTIONS[name].type === 'boolean' && token.value !== undefined;
    if (!isOptionName(name) || booleanWithValue) throw new UsageError(`unknown option '${raw}' (warmcc --help lists the options)`);
    if (name === 'stats-format') {
      if (token.value !== 'text' && token.value !== 'json') throw new UsageError(`--stats-format takes text or json, not '${token.value ?? ''}'`);
      parsed.statsFormat = token.value;
      continue;
    }
    if (seen) throw new UsageError(`unexpected argument '${token.rawName}' after ${seen}`);
    seen = token.rawName;
    parsed.command = name;
    if (name === 'explain') {
      // a next argument that looks like an option is not a file (strict parseArgs's rule):
      // `--explain --stats-format json` names none; `--explain=-a.c` does
      const file = token.inlineValue || !token.value?.startsWith('-') ? token.value : undefined;
      if (!file) throw new UsageError('--explain takes a source file (warmcc --explain src/a.c)');
      parsed.file = file;
      seen = `--explain ${file}`;
    }
  }
  return parsed;
}

/** Linux's sockaddr_un.sun_path: 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** The socket both clients use (wrapper/contract/socketPath.ts), or the error the kernel would
 *  give later, in the native client's words. */
function usableSocketPath(): string {
  const found = socketPath(process.env, process.getuid?.() ?? 0, process.cwd());
  if (Buffer.byteLength(found) > MAX_SOCKET_PATH_BYTES)
    throw new Error(`socket path ${found} is too long for a Unix socket (max ${MAX_SOCKET_PATH_BYTES} bytes)`);
  return found;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function connectRpc(config: WarmccConfig): Promise<MessageConnection> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const connection = net.connect(config.socketPath);
    connection.once('connect', () => resolve(connection));
    connection.once('error', (error) => reject(new Error(`cannot reach the warmcc server at ${config.socketPath}: ${error.message}`)));
  });
  const rpc = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  rpc.listen();
  return rpc;
}

/** Runs one request against the server, starting it if needed. */
async function withServer<T>(config: WarmccConfig, work: (rpc: MessageConnection) => Promise<T>): Promise<T> {
  if (!(await ensureServer(config))) {
    throw new Error(`the warmcc server did not start within ${config.startTimeoutMs} ms; see ${config.logFile}`);
  }
  const rpc = await connectRpc(config);
  try {
    return await work(rpc);
  } finally {
    rpc.dispose();
  }
}

/** The running server answers (it writes its queued records first); with no server, the
 *  journal file is read here: explaining never starts a server. */
async function explain(config: WarmccConfig, params: ExplainParams): Promise<ExplainResult> {
  if (await canConnect(config.socketPath)) {
    const rpc = await connectRpc(config);
    try {
      return await rpc.sendRequest(explainRequest, params);
    } finally {
      rpc.dispose();
    }
  }
  if (config.journalSizeLimit === 0) throw new Error('the journal is off (WARMCC_JOURNAL_SIZE=0): there is nothing to explain from');
  return explainFromJournal(journalFileFor(config.cacheDir, config.socketPath), params);
}

async function run(args: string[]): Promise<number> {
  const commandLine = parseCommandLine(args);
  switch (commandLine.command) {
    // these need no settings, so they work even when a setting is broken
    case 'help':
      console.log(HELP);
      return 0;
    case 'version':
      console.log(`warmcc ${version}`);
      return 0;
    case 'socket-path':
      console.log(usableSocketPath());
      return 0;
    default:
      return runWithConfig(commandLine.command, commandLine, loadConfig());
  }
}

async function runWithConfig(
  command: Exclude<Command, 'help' | 'version' | 'socket-path'>,
  { file, statsFormat }: CommandLine,
  config: WarmccConfig,
): Promise<number> {
  switch (command) {
    case 'explain': {
      const result = await explain(config, { file, cwd: process.cwd() });
      console.log(statsFormat === 'json' ? JSON.stringify(result, null, 2) : result.text);
      return result.explanation.verdict === 'never seen' ? 1 : 0;
    }
    case 'start-server':
      if (await canConnect(config.socketPath)) {
        console.log(`warmcc: a server is already running on ${config.socketPath}`);
        return 0;
      }
      if (!(await ensureServer(config))) throw new Error(`the server did not start within ${config.startTimeoutMs} ms; see ${config.logFile}`);
      console.log(`warmcc: server started on ${config.socketPath}`);
      return 0;
    case 'stop-server': {
      if (!(await canConnect(config.socketPath))) {
        console.log('warmcc: no server is running');
        return 0;
      }
      const rpc = await connectRpc(config);
      const pid = (await rpc.sendRequest(statsRequest)).serverPid;
      await rpc.sendRequest(stopRequest);
      rpc.dispose();
      // wait until it has really gone (socket and process), so a script can start a new one
      // right after; it first finishes running compiles, so allow for a long one
      for (let i = 0; i < 1200 && ((await canConnect(config.socketPath)) || processExists(pid)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(`warmcc: server (pid ${pid}) stopped`);
      return 0;
    }
    case 'show-stats': {
      const snapshot = await withServer(config, (rpc) => rpc.sendRequest(statsRequest));
      console.log(statsFormat === 'json' ? JSON.stringify(snapshot, null, 2) : formatStatsText(snapshot));
      return 0;
    }
    case 'zero-stats':
      await withServer(config, (rpc) => rpc.sendRequest(zeroStatsRequest));
      console.log('warmcc: statistics zeroed');
      return 0;
    case 'clear': {
      const result = await withServer(config, (rpc) => rpc.sendRequest(clearCacheRequest));
      console.log(`warmcc: cleared ${result.removedFiles} entries (${formatBytes(result.removedBytes)})`);
      return 0;
    }
    case 'show-config': {
      // remote tiers as displayed: credentials never printed
      // compression: the codec new entries get on this machine (LZ4 needs its binary), and why not the one asked for
      const codec = effectiveCodec(config.compression);
      const shown = {
        version,
        ...config,
        remotes: config.remotes.map(describeRemote),
        compression: codec.note ? `${codec.codec} (${codec.note})` : codec.codec,
        journalFile: journalFileFor(config.cacheDir, config.socketPath),
      };
      if (statsFormat === 'json') console.log(JSON.stringify(shown, null, 2));
      else for (const [key, value] of Object.entries(shown)) console.log(`${key.padEnd(20)} ${String(value)}`);
      return 0;
    }
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`warmcc: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
