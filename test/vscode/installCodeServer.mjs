// Installs the VS Code the extension tests run in: code-server (VS Code with a Node extension host,
// served to a headless Chromium) from the npm registry, into its own prefix <repo>/.vscode-test/code-server,
// apart from the project's dependencies. Idempotent: a finished install is recognised by a marker
// and skipped in milliseconds. See docs/vscode-testing.md in the shared folder beside the checkout (../shared) for why each step is needed.
//
//   node test/vscode/installCodeServer.mjs          install if needed, print the binary's version
//   import { ensureCodeServer } from './installCodeServer.mjs'

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3'; // = VS Code 1.100.3, the last code-server that runs on Node 20
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const codeServerPrefix = path.join(repoRoot, '.vscode-test', 'code-server');
export const chromiumPath = process.env.WARMCC_TEST_CHROMIUM || '/usr/bin/chromium';

// @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable here) unless it finds this
// tarball in its cache; Debian's rg is put there instead.
const RIPGREP_CACHE_DIR = `vscode-ripgrep-cache-1.15.11`;
const RIPGREP_TARBALL = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
const MARKER = '.warmcc-installed.json';

const APT_PACKAGES = 'libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium';

/** Where the installed code-server's entry script is (run it with this Node: process.execPath). */
export function codeServerEntry(prefix = codeServerPrefix) {
  return path.join(prefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

function readMarker(prefix) {
  try {
    return JSON.parse(fs.readFileSync(path.join(prefix, MARKER), 'utf8'));
  } catch {
    return undefined;
  }
}

function isInstalled(prefix) {
  const marker = readMarker(prefix);
  return marker?.version === CODE_SERVER_VERSION && marker?.nodeMajor === process.versions.node.split('.')[0] && fs.existsSync(codeServerEntry(prefix));
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** What code-server's install and the test runs need from the machine; each missing item names its Debian package. */
export function missingPrerequisites({ forInstall = true } = {}) {
  const missing = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor !== 20) missing.push(`Node 20 (this is Node ${process.versions.node}; code-server ${CODE_SERVER_VERSION} installs and runs only on Node 20)`);
  if (process.platform !== 'linux' || process.arch !== 'x64')
    missing.push(`linux x64 (this is ${process.platform} ${process.arch}; the ripgrep cache trick is for x86_64 only)`);
  if (!fs.existsSync(chromiumPath)) missing.push(`${chromiumPath} (apt package chromium)`);
  if (forInstall) {
    if (!fs.existsSync('/usr/bin/rg')) missing.push('/usr/bin/rg (apt package ripgrep)');
    if (!onPath('pkg-config')) missing.push('pkg-config (apt package pkg-config)');
    if (!fs.existsSync('/usr/include/gssapi/gssapi.h') && !fs.existsSync('/usr/include/krb5.h')) missing.push('Kerberos headers (apt package libkrb5-dev)');
    if (!fs.existsSync('/usr/include/X11/Xlib.h')) missing.push('X11 headers (apt package libx11-dev)');
    if (!fs.existsSync('/usr/include/X11/extensions/XKBfile.h')) missing.push('xkbfile headers (apt package libxkbfile-dev)');
    if (spawnSync('pkg-config', ['--exists', 'libsecret-1'], { stdio: 'ignore' }).status !== 0) missing.push('libsecret headers (apt package libsecret-1-dev)');
    for (const tool of ['make', 'g++', 'python3', 'tar']) if (!onPath(tool)) missing.push(`${tool} (needed to build native modules)`);
  }
  return missing;
}

function prerequisiteError(missing) {
  return new Error(
    `installCodeServer: missing ${missing.join('; ')}.\n` +
      `On Debian: apt-get install -y --no-install-recommends ${APT_PACKAGES} make g++ python3 (as .ci/run does).`,
  );
}

/** Puts Debian's rg where @vscode/ripgrep's postinstall looks before downloading. */
function seedRipgrepCache() {
  const cacheDir = path.join(os.tmpdir(), RIPGREP_CACHE_DIR);
  const tarball = path.join(cacheDir, RIPGREP_TARBALL);
  if (fs.existsSync(tarball)) return tarball;
  fs.mkdirSync(cacheDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-seed-'));
  try {
    fs.copyFileSync('/usr/bin/rg', path.join(staging, 'rg'));
    fs.chmodSync(path.join(staging, 'rg'), 0o755);
    const temp = `${tarball}.tmp-${process.pid}`;
    execFileSync('tar', ['-czf', temp, '-C', staging, 'rg']);
    fs.renameSync(temp, tarball);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return tarball;
}

function versionOf(prefix) {
  // --config /dev/null: otherwise it first writes a default config (with a password) into ~/.config/code-server
  const result = spawnSync(process.execPath, [codeServerEntry(prefix), '--config', '/dev/null', '--version'], { encoding: 'utf8', timeout: 60_000 });
  // "4.100.3 409c64e0... with Code 1.100.3"
  const line = /^\d+\.\d+\.\d+ .*$/m.exec(result.stdout ?? '')?.[0];
  if (result.status !== 0 || !line) {
    throw new Error(
      `installCodeServer: ${codeServerEntry(prefix)} --version failed (status ${result.status}): ${(result.stderr || result.stdout || String(result.error)).trim()}`,
    );
  }
  return line;
}

/**
 * Makes sure code-server is installed in `prefix`; returns its entry script and version line.
 * Installs into a staging directory and renames it into place, so an interrupted install never
 * looks finished.
 */
export function ensureCodeServer({ prefix = codeServerPrefix, log = (line) => console.error(line), verify = false } = {}) {
  if (isInstalled(prefix)) return installedResult(prefix, verify);
  const missing = missingPrerequisites();
  if (missing.length) throw prerequisiteError(missing);
  // test files run two at a time and each may be the first to need code-server: one installs,
  // the others wait for it (a second install would remove the tree the first one's tests run)
  const release = takeInstallLock(prefix, log);
  try {
    if (isInstalled(prefix)) return installedResult(prefix, verify);
    return install(prefix, log);
  } finally {
    release();
  }
}

function installedResult(prefix, verify) {
  const missing = missingPrerequisites({ forInstall: false });
  if (missing.length) throw prerequisiteError(missing);
  return { entry: codeServerEntry(prefix), prefix, version: verify ? versionOf(prefix) : readMarker(prefix).versionLine, installed: false };
}

const INSTALL_LOCK_WAIT_MS = 15 * 60_000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** An exclusive lock directory beside the prefix, holding the installer's pid; a lock whose
 *  installer died is taken over. Returns its release. Waiting polls the lock (the other
 *  process's install), synchronously: ensureCodeServer is synchronous. */
function takeInstallLock(prefix, log) {
  const lock = `${prefix}.lock`;
  const owner = path.join(lock, 'pid');
  fs.mkdirSync(path.dirname(prefix), { recursive: true });
  const deadline = Date.now() + INSTALL_LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(owner, String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const pid = Number(fs.readFileSync(owner, { encoding: 'utf8', flag: 'a+' }) || 0);
    if (pid && !alive(pid)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`installCodeServer: ${lock} still held by pid ${pid} after ${INSTALL_LOCK_WAIT_MS / 60_000} min`);
    if (!told) log(`installCodeServer: waiting for the install running in pid ${pid || '?'}...`);
    told = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function install(prefix, log) {
  const started = Date.now();
  seedRipgrepCache();
  const staging = `${prefix}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  log(`installCodeServer: installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, prefix)} (about 1-2 minutes)...`);
  const logFile = path.join(os.tmpdir(), `code-server-install-${process.pid}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const env = {
    ...process.env,
    npm_config_unsafe_perm: 'true', // its postinstall refuses to run as root otherwise
    npm_config_yes: 'true', // node-pty's install runs `npx node-gyp`, which aborts without a yes
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  // A local install in a directory of its own. Not `npm install --global --prefix`: npm exports its
  // non-default settings to lifecycle scripts, and code-server's postinstall runs `npm install` in
  // lib/vscode, which then installs globally into the same tree and breaks.
  fs.writeFileSync(
    path.join(staging, 'package.json'),
    JSON.stringify({ name: 'warmcc-test-code-server', private: true, allowScripts: { 'code-server': true } }, null, 2) + '\n',
  );
  const result = spawnSync('npm', ['install', '--save-exact', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: staging,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  if (result.status !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `installCodeServer: npm install code-server@${CODE_SERVER_VERSION} failed (status ${result.status ?? result.signal}); full log: ${logFile}\n${tail}`,
    );
  }
  let versionLine;
  try {
    versionLine = versionOf(staging);
    if (!versionLine.startsWith(`${CODE_SERVER_VERSION} `))
      throw new Error(`installCodeServer: installed code-server reports '${versionLine}', expected ${CODE_SERVER_VERSION}`);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  fs.writeFileSync(
    path.join(staging, MARKER),
    JSON.stringify({ version: CODE_SERVER_VERSION, nodeMajor: process.versions.node.split('.')[0], versionLine, installedAt: new Date().toISOString() }) + '\n',
  );
  fs.rmSync(prefix, { recursive: true, force: true });
  try {
    fs.renameSync(staging, prefix);
  } catch (error) {
    // a concurrent install finished first: keep theirs
    fs.rmSync(staging, { recursive: true, force: true });
    if (!isInstalled(prefix)) throw error;
  }
  fs.rmSync(logFile, { force: true });
  log(`installCodeServer: installed ${versionLine} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { entry: codeServerEntry(prefix), prefix, version: versionLine, installed: true };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const started = Date.now();
    const { version, installed } = ensureCodeServer({ verify: true });
    console.log(`code-server ${version} (${installed ? 'installed' : 'already installed'}, ${Date.now() - started} ms)`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
