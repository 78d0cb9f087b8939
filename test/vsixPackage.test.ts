// The artefact users get: warmcc.vsix, made by the package script (vsce) into a temporary path.
// Its contents (what runs is in, sources and tooling are out, the bundles need nothing from
// node_modules), then the .vsix installed the way a user installs it (code-server
// --install-extension into a fresh extensions dir): the installed client runs, compiles through its
// own bundled server (a miss, then a hit), and VS Code activates the installed extension, which
// makes its masquerade links (a zip keeps no symlinks) pointing at the installed client.
//
// The install and workbench parts are skipped, with the reason, only where code-server cannot be
// installed (test/vscode/installCodeServer.mjs); .ci/run installs all it needs.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { makeTemporaryDir, removeTemporaryDir, repoRoot } from './vscode/codeServer';
import { ensureCodeServer } from './vscode/installCodeServer.mjs';
import { openWorkbench, waitForText, type Workbench } from './vscode/workbenchPage';
import { waitFor } from './support/poll';
import { cleanEnv, STATS_JSON_ARGS, statsFrom } from './support/warmccEnv';

const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  version: string;
  scripts: Record<string, string>;
};
const extensionId = `${packageJson.publisher}.${packageJson.name}`;
const MASQUERADE_NAMES = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++'];
const UI_TIMEOUT_MS = 60_000;

let codeServerEntry = '';
function codeServerUnavailable(): string | false {
  try {
    codeServerEntry = ensureCodeServer({ log: (line) => process.stderr.write(`${line}\n`) }).entry;
    return false;
  } catch (error) {
    return `code-server cannot be installed here, so the .vsix cannot be installed and opened: ${(error as Error).message.split('\n')[0]}`;
  }
}
const skipReason = codeServerUnavailable();
if (skipReason) process.stderr.write(`vsixPackage.test.ts: install and workbench tests skipped: ${skipReason}\n`);

interface ZipEntry {
  name: string;
  /** unix mode from the external attributes (0 if the archiver stored none) */
  mode: number;
  size: number;
  /** the entry's content, uncompressed */
  read(): Buffer;
}

/** The entries of a zip's central directory (no zip64: a .vsix is small). A few lines instead of needing `unzip`. */
function listZip(file: string): ZipEntry[] {
  const data = fs.readFileSync(file);
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is no zip: no end of central directory record`);
  const count = data.readUInt16LE(eocd + 10);
  let offset = data.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(data.readUInt32LE(offset), 0x02014b50, `${file}: central directory entry ${i} is corrupt`);
    const method = data.readUInt16LE(offset + 10);
    const compressedSize = data.readUInt32LE(offset + 20);
    const size = data.readUInt32LE(offset + 24);
    const nameLength = data.readUInt16LE(offset + 28);
    const extraLength = data.readUInt16LE(offset + 30);
    const commentLength = data.readUInt16LE(offset + 32);
    const external = data.readUInt32LE(offset + 38);
    const localHeader = data.readUInt32LE(offset + 42);
    const name = data.toString('utf8', offset + 46, offset + 46 + nameLength);
    const read = () => {
      assert.equal(data.readUInt32LE(localHeader), 0x04034b50, `${file}: local header of ${name} is corrupt`);
      const start = localHeader + 30 + data.readUInt16LE(localHeader + 26) + data.readUInt16LE(localHeader + 28);
      const raw = data.subarray(start, start + compressedSize);
      if (method === 0) return Buffer.from(raw);
      assert.equal(method, 8, `${file}: ${name} uses compression method ${method}`);
      return zlib.inflateRawSync(raw);
    };
    entries.push({ name, mode: external >>> 16, size, read });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The package script's vsce arguments with --out pointing elsewhere: the same packaging, another destination. */
function packageCommand(out: string): string[] {
  const script = packageJson.scripts.package;
  assert.ok(script, 'package.json has a package script');
  const words = script.trim().split(/\s+/);
  assert.equal(words[0], 'vsce', `the package script runs vsce: ${script}`);
  const outAt = words.indexOf('--out');
  assert.ok(outAt > 0 && words[outAt + 1], `the package script names its output with --out: ${script}`);
  words[outAt + 1] = out;
  return words.slice(1);
}

function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function cmdline(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('the packaged extension (.vsix)', { timeout: 10 * 60_000 }, () => {
  let workDir: string;
  let vsix: string;
  let entries: ZipEntry[];
  const names = () => entries.map((entry) => entry.name);
  const entry = (name: string): ZipEntry => {
    const found = entries.find((candidate) => candidate.name === name);
    assert.ok(found, `${name} is in the .vsix`);
    return found;
  };
  let extensionsDir: string;
  let installed: string;
  /** servers started outside any workbench, stopped in after() whatever happens */
  const standaloneServers: { env: Record<string, string>; pid?: number }[] = [];
  let workbench: Workbench | undefined;
  let windowServerPid: number | undefined;

  before(() => {
    workDir = makeTemporaryDir('wcc-vsix-');
    vsix = path.join(workDir, 'warmcc.vsix');
    const started = Date.now();
    const result = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'vsce'), packageCommand(vsix), {
      cwd: repoRoot,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.equal(result.status, 0, `vsce package failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    assert.ok(fs.existsSync(vsix), `vsce made no ${vsix}:\n${result.stdout}`);
    process.stderr.write(`vsixPackage.test.ts: packaged ${path.basename(vsix)} (${fs.statSync(vsix).size} bytes) in ${Date.now() - started} ms\n`);
    entries = listZip(vsix);
  });

  after(async () => {
    await workbench?.close();
    const survivor = windowServerPid !== undefined && isAlive(windowServerPid) ? windowServerPid : undefined;
    if (survivor !== undefined) process.kill(survivor, 'SIGKILL');
    for (const server of standaloneServers) {
      if (installed) spawnSync(path.join(installed, 'bin', 'warmcc'), ['--stop-server'], { env: server.env, timeout: 30_000 });
      if (server.pid !== undefined && isAlive(server.pid)) process.kill(server.pid, 'SIGKILL');
    }
    if (workDir) removeTemporaryDir(workDir);
    assert.equal(survivor, undefined, `the installed extension's server (pid ${survivor}) outlived the workbench`);
  });

  it('carries what runs: bundles, the client, the panel script, the manifest', () => {
    for (const required of [
      'extension/package.json',
      'extension/dist/server.js',
      'extension/dist/extension.js',
      'extension/dist/cli.js',
      'extension/dist/client.js',
      'extension/dist/storage-redis.js',
      'extension/dist/storage-s3.js',
      'extension/dist/storage-http.js',
      'extension/dist/storage-memcached.js',
      // this platform's LZ4 binary (storage/lz4Binding.ts): without it entries fall back to deflate
      'extension/dist/native/lz4.node',
      'extension/bin/warmcc',
      // the stats panel's page: script bundled from media/statsPanel/, and its style
      'extension/dist/media/statsPanel.js',
      'extension/dist/media/statsPanel.css',
      'extension.vsixmanifest',
    ]) {
      assert.ok(names().includes(required), `${required} is in the .vsix (it holds: ${names().join(', ')})`);
    }
    const client = entry('extension/bin/warmcc');
    assert.ok(client.size > 0);
    // the zip's mode may be lost by other unzippers: activation chmods it anyway (bundledPaths.ts)
    if (client.mode) assert.equal(client.mode & 0o111, 0o111, `extension/bin/warmcc is stored executable (mode ${client.mode.toString(8)})`);
    const manifest = JSON.parse(entry('extension/package.json').read().toString('utf8')) as { main?: string; version?: string };
    assert.equal(path.posix.normalize(manifest.main ?? ''), 'dist/extension.js');
    assert.equal(manifest.version, packageJson.version);
    assert.equal(entry('extension/dist/server.js').read().length, entry('extension/dist/server.js').size, 'the zip reads back');
  });

  it('leaves out sources, tests, tooling, source maps, dependencies and the masquerade links', () => {
    const forbidden: [RegExp, string][] = [
      [/^extension\/wrapper\//, 'wrapper/ (sources and build script)'],
      [/^extension\/media\//, 'media/ (the webview sources: dist/media/ carries the stats panel)'],
      [/^extension\/test\//, 'test/'],
      [/^extension\/out\//, 'out/'],
      [/^extension\/node_modules\//, 'node_modules/ (the bundles carry their dependencies)'],
      [/^extension\/bench\//, 'bench/'],
      [/^extension\/docs\//, 'docs/'],
      [/^extension\/\.vscode-test\//, '.vscode-test/ (code-server)'],
      [/^extension\/\.ci\//, '.ci/'],
      [/^extension\/test-output\//, 'test-output/'],
      [/^extension\/bin\/masq\//, 'bin/masq/ (symlinks: made at activation)'],
      [/\.ts$/, 'TypeScript sources'],
      [/\.map$/, 'source maps'],
      [/\.vsix$/, 'an older .vsix'],
      [/(^|\/)tsconfig\.json$/, 'tsconfig.json'],
    ];
    for (const [pattern, what] of forbidden) {
      const found = names().filter((name) => pattern.test(name));
      assert.deepEqual(found, [], `no ${what} in the .vsix`);
    }
  });

  it('has bundles that need nothing but Node and the vscode API (no node_modules in the .vsix)', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    for (const bundle of ['server', 'extension', 'cli', 'client']) {
      const text = entry(`extension/dist/${bundle}.js`).read().toString('utf8');
      assert.ok(text.length > 1000, `extension/dist/${bundle}.js could be read from the .vsix`);
      const required = new Set([...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]!));
      const external = [...required].filter((name) => !builtins.has(name) && !(bundle === 'extension' && name === 'vscode') && !name.startsWith('.'));
      assert.deepEqual(external, [], `dist/${bundle}.js requires packages the .vsix does not carry`);
    }
    // the stats panel's script runs in the webview, a browser: it requires nothing at all
    const page = entry('extension/dist/media/statsPanel.js').read().toString('utf8');
    assert.ok(page.length > 1000, 'extension/dist/media/statsPanel.js could be read from the .vsix');
    assert.doesNotMatch(page, /\brequire\(/, 'dist/media/statsPanel.js is a browser bundle');
    // the remote tier backends (loaded on demand): each must load from the .vsix alone, with no
    // node_modules anywhere above it (the AWS SDK names optional packages in its messages, so
    // loading is the test, not a text search)
    const alone = makeTemporaryDir('wcc-vsix-backends-');
    try {
      for (const kind of ['redis', 's3', 'http', 'memcached']) {
        const file = path.join(alone, `storage-${kind}.js`);
        fs.writeFileSync(file, entry(`extension/dist/storage-${kind}.js`).read());
        const loaded = spawnSync(
          process.execPath,
          ['-e', `const m = require(${JSON.stringify(file)}); if (typeof m.createBackend !== 'function') process.exit(3);`],
          { cwd: alone, env: { PATH: process.env.PATH }, encoding: 'utf8' },
        );
        assert.equal(loaded.status, 0, `dist/storage-${kind}.js loads on its own: ${loaded.stderr}`);
      }
    } finally {
      removeTemporaryDir(alone);
    }
  });

  it('installs with code-server --install-extension: client executable, server bundled', { skip: skipReason }, () => {
    extensionsDir = path.join(workDir, 'extensions');
    fs.mkdirSync(extensionsDir);
    const result = spawnSync(
      process.execPath,
      [
        codeServerEntry,
        '--config',
        '/dev/null',
        '--user-data-dir',
        path.join(workDir, 'install-profile'),
        '--extensions-dir',
        extensionsDir,
        '--install-extension',
        vsix,
      ],
      { env: { ...cleanEnv(), EXTENSIONS_GALLERY: '{}' }, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(result.status, 0, `code-server --install-extension failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /successfully installed/);
    installed = path.join(extensionsDir, `${extensionId}-${packageJson.version}`);
    assert.ok(fs.statSync(installed).isDirectory(), `installed as ${installed} (extensions dir holds: ${fs.readdirSync(extensionsDir).join(', ')})`);
    for (const file of ['bin/warmcc', 'dist/server.js', 'dist/extension.js', 'dist/cli.js', 'dist/media/statsPanel.js', 'dist/media/statsPanel.css']) {
      assert.ok(fs.statSync(path.join(installed, file)).isFile(), `${file} is installed`);
    }
    const mode = fs.statSync(path.join(installed, 'bin', 'warmcc')).mode;
    assert.equal(mode & 0o111, 0o111, `the installed bin/warmcc is executable (mode ${(mode & 0o7777).toString(8)})`);
    assert.equal(fs.existsSync(path.join(installed, 'bin', 'masq')), false, 'no masquerade dir in the installed extension');
  });

  it('runs the installed client: --version, then a compile through its own bundled server (miss, then hit)', { skip: skipReason }, async () => {
    assert.ok(installed, 'the extension was installed');
    const client = path.join(installed, 'bin', 'warmcc');
    const version = spawnSync(client, ['--version'], { env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(version.status, 0, `${client} --version failed: ${version.stderr}`);
    assert.match(version.stdout, new RegExp(`\\b${packageJson.version.replace(/\./g, '\\.')}\\b`));

    const dir = path.join(workDir, 'standalone');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.c'), 'int answer(void) { return 42; }\n');
    const env = {
      ...cleanEnv(),
      WARMCC_DIR: path.join(dir, 'cache'),
      WARMCC_SOCKET: path.join(dir, 'run', 's.sock'),
      WARMCC_LOG: path.join(dir, 'server.log'),
      WARMCC_IDLE_TIMEOUT: '120',
    };
    const standalone: { env: Record<string, string>; pid?: number } = { env };
    standaloneServers.push(standalone);
    const run = (args: string[]) => spawnSync(client, args, { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    const stats = () => statsFrom(run(STATS_JSON_ARGS));

    const first = run(['gcc', '-c', 'x.c', '-o', 'x.o']);
    assert.equal(first.status, 0, `first compile failed: ${first.stderr}`);
    const cold = stats();
    standalone.pid = cold.serverPid;
    assert.deepEqual([cold.cacheMisses, cold.cacheHits], [1, 0], 'the first compile is a miss');
    const script = cmdline(cold.serverPid).find((arg) => arg.endsWith('server.js')) ?? '';
    assert.equal(path.resolve(script), path.join(installed, 'dist', 'server.js'), 'the installed client started the installed server');
    const object = fs.readFileSync(path.join(dir, 'x.o'));
    fs.rmSync(path.join(dir, 'x.o'));

    const second = run(['gcc', '-c', 'x.c', '-o', 'x.o']);
    assert.equal(second.status, 0, `second compile failed: ${second.stderr}`);
    const warm = stats();
    assert.deepEqual([warm.cacheMisses, warm.cacheHits], [1, 1], 'the second compile is a hit');
    assert.equal(warm.serverPid, cold.serverPid);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'x.o')), object, 'the hit restores the same object');
    // the installed server loaded the LZ4 binary the .vsix carries
    assert.match(fs.readFileSync(env.WARMCC_LOG, 'utf8'), /entries: lz4\b/);

    assert.equal(run(['--stop-server']).status, 0);
    await waitFor(() => !isAlive(cold.serverPid), { timeoutMs: 10_000, what: `the installed server ${cold.serverPid} to stop after --stop-server` });
  });

  it('activates in VS Code from the extensions dir and makes its masquerade links to the installed client', { skip: skipReason }, async () => {
    assert.ok(installed, 'the extension was installed');
    const folder = path.join(workDir, 'c-project');
    fs.cpSync(path.join(repoRoot, 'test', 'vscode', 'fixtures', 'c-project'), folder, { recursive: true });
    workbench = await openWorkbench({ folder, extensionDevelopmentPath: null, extensionsDir, timeoutMs: 8 * 60_000 });
    // screenshots show settled bars, not a width transition halfway (statsPanel.css honours reduced motion)
    await workbench.page.emulateMedia({ reducedMotion: 'reduce' });
    assert.equal(await workbench.waitForStatusBarText('warmcc ready', { timeoutMs: 2 * UI_TIMEOUT_MS }), 'warmcc ready');
    // a user's window, not an extension development host
    assert.doesNotMatch(await workbench.page.title(), /Extension Development Host/);

    // the window's server is the installed one
    const servers = await waitFor(
      () => {
        const found = workbench!.warmccServers();
        return found.length > 0 && found;
      },
      { timeoutMs: UI_TIMEOUT_MS, what: 'the installed extension to start its server' },
    );
    assert.equal(servers.length, 1);
    windowServerPid = servers[0]!.pid;
    assert.equal(path.resolve(servers[0]!.script), path.join(installed, 'dist', 'server.js'));

    // masquerade links in the extension's globalStorage, to the installed client
    const masq = path.join(workbench.server.userDataDir, 'User', 'globalStorage', extensionId, 'masq');
    const client = path.join(installed, 'bin', 'warmcc');
    for (const name of MASQUERADE_NAMES) {
      const link = path.join(masq, name);
      assert.ok(fs.lstatSync(link).isSymbolicLink(), `${link} is a symlink`);
      assert.equal(fs.readlinkSync(link), client, `${name} points at the installed client`);
    }

    // and they work: plain `make` (CC ?= cc) with the masquerade dir first on PATH builds through the window's server
    const env = { ...cleanEnv(), ...workbench.warmccEnv, WARMCC_SOCKET: servers[0]!.socket, PATH: `${masq}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    const make = (...args: string[]) => {
      const result = spawnSync('make', args, { cwd: folder, env, encoding: 'utf8', timeout: 180_000 });
      assert.equal(result.status, 0, `make ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
    };
    make();
    make('clean');
    make();
    assert.equal(await workbench.waitForStatusBarText('warmcc 50% · 2 hits', { timeoutMs: UI_TIMEOUT_MS }), 'warmcc 50% · 2 hits');

    // the stats panel loads its script and style from the installed dist/media/
    await workbench.page
      .locator('.statusbar-item', { hasText: /warmcc/ })
      .first()
      .click();
    await waitForText(workbench.webviewFrame().locator('[data-testid="hits"]'), '2', { timeoutMs: UI_TIMEOUT_MS, what: "the installed panel's Hits tile" });
    await waitForText(workbench.webviewFrame().locator('[data-testid="hit-rate"]'), '50.0%', { what: "the installed panel's Hit rate tile" });
    // statsPanel.css puts the tiles side by side; without the style they would stack
    const [hitsTile, missesTile] = await Promise.all(['#tile-hits', '#tile-misses'].map((tile) => workbench!.webviewFrame().locator(tile).boundingBox()));
    assert.ok(
      hitsTile && missesTile && missesTile.y === hitsTile.y && missesTile.x > hitsTile.x,
      `the installed panel's style is applied: tiles at ${JSON.stringify([hitsTile, missesTile])}`,
    );
    await workbench.screenshot('vsix-installed-stats-panel');
  });
});
