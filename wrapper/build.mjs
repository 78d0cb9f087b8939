// Builds everything `npm ci` (prepare) and `npm run build` promise: the esbuild bundles in dist/
// (server, CLI, Node client, VS Code extension, and dist/media/ for the stats panel's page),
// the native client bin/warmcc compiled with this machine's cc (or, with no working C compiler,
// a shell script running the Node client), and the masquerade links in bin/masq/.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const MASQUERADE_NAMES = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++'];

async function bundle() {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: {
      server: 'wrapper/server/main.ts',
      cli: 'wrapper/cli/main.ts',
      client: 'wrapper/client/nodeClient.ts',
      extension: 'extension/extension.ts',
      // remote tier backends: separate files, required only when configured (remoteBackends.ts)
      'storage-redis': 'wrapper/storage/redisStorage.ts',
      'storage-s3': 'wrapper/storage/s3Storage.ts',
      'storage-http': 'wrapper/storage/httpStorage.ts',
      'storage-memcached': 'wrapper/storage/memcachedStorage.ts',
    },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    logLevel: 'warning',
    // the VS Code extension's `vscode` is provided by the editor at run time
    external: ['vscode'],
    define: { WARMCC_VERSION: JSON.stringify(version), WARMCC_BUNDLED_BACKENDS: 'true' },
  });
}

/** The stats panel's page (media/statsPanel/): a browser bundle, no Node, beside its style in
 *  dist/media/, the one folder the webview may load from (extension/statsPanel.ts). */
async function bundleWebview() {
  const out = path.join(root, 'dist', 'media');
  // emptied first: nothing stale from a renamed asset reaches the .vsix
  fs.rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { statsPanel: 'media/statsPanel/main.ts' },
    outdir: 'dist/media',
    bundle: true,
    // fails the build if the page (or a contract file it imports) needs a Node module
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(root, 'media', 'statsPanel', 'statsPanel.css'), path.join(out, 'statsPanel.css'));
}

/** Copies this platform's LZ4 binary (lz4-napi's prebuilt optional package) to dist/native/, where
 *  the bundles load it (storage/lz4Binding.ts); the .vsix carries no node_modules. Without it the
 *  server writes deflate entries. */
function copyLz4Binding() {
  const target = path.join(root, 'dist', 'native', 'lz4.node');
  let binary;
  try {
    const require = createRequire(path.join(root, 'package.json'));
    // lz4-napi's loader knows which optional package fits this platform (and libc): load it, then
    // take the native file it loaded from the module cache
    require('lz4-napi');
    binary = Object.keys(require.cache).find((file) => file.endsWith('.node') && file.includes('lz4-napi'));
    if (!binary) throw new Error('lz4-napi loaded no .node file');
  } catch (error) {
    fs.rmSync(target, { force: true });
    console.warn(`warmcc build: no LZ4 binary for ${process.platform}-${process.arch} (${error.message.split('\n')[0]}); cache entries will use deflate.`);
    return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // beside and rename: a running server has the old file mapped, and overwriting it in place would crash it
  const temp = `${target}.tmp-${process.pid}`;
  fs.copyFileSync(binary, temp);
  fs.renameSync(temp, target);
}

// warnings are errors here (gcc 12 and clang 14 build it clean, and CI should stay so), but a
// warning that only another compiler version raises must not cost a user the native client
const STRICT_C_FLAGS = ['-Werror', '-Wshadow', '-Wconversion'];

function buildNativeClient(output) {
  const cc = process.env.CC || 'cc';
  const source = path.join(root, 'wrapper/client/warmcc.c');
  const compile = (extraFlags) =>
    execFileSync(cc, ['-O2', '-Wall', '-Wextra', ...extraFlags, `-DWARMCC_DEFAULT_NODE=${JSON.stringify(process.execPath)}`, '-o', output, source], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  try {
    compile(STRICT_C_FLAGS);
    return true;
  } catch {
    try {
      compile([]);
      // the compiler printed its complaints above
      console.warn(
        `warmcc build: '${cc}' rejects the native client with ${STRICT_C_FLAGS.join(' ')} (see above); built it without them. Please report the warnings.`,
      );
      return true;
    } catch (error) {
      console.warn(`warmcc build: cannot compile the native client with '${cc}' (${error.message.split('\n')[0]});`);
      console.warn('warmcc build: bin/warmcc falls back to the Node client (slower per compile, same behaviour).');
      return false;
    }
  }
}

function writeNodeClientScript(output) {
  // resolves its own location through masquerade symlinks; tells the client its argv[0]
  fs.writeFileSync(
    output,
    `#!/bin/sh
self=$(readlink -f "$0")
WARMCC_CLIENT_SELF="$self" WARMCC_INVOKED_AS=$(basename "$0") exec "\${WARMCC_NODE:-${process.execPath}}" "$(dirname "$self")/../dist/client.js" "$@"
`,
    { mode: 0o755 },
  );
}

function makeMasqueradeLinks(binDir) {
  const masq = path.join(binDir, 'masq');
  fs.mkdirSync(masq, { recursive: true });
  for (const name of MASQUERADE_NAMES) {
    const link = path.join(masq, name);
    fs.rmSync(link, { force: true });
    fs.symlinkSync('../warmcc', link);
  }
}

await Promise.all([bundle(), bundleWebview()]);
copyLz4Binding();
const binDir = path.join(root, 'bin');
fs.mkdirSync(binDir, { recursive: true });
const client = path.join(binDir, 'warmcc');
// build beside and rename: a build running through bin/warmcc never sees a half-written file
const nodeClient = path.join(binDir, 'warmcc-node');
writeNodeClientScript(`${nodeClient}.tmp`);
fs.renameSync(`${nodeClient}.tmp`, nodeClient);
const temp = `${client}.tmp-${process.pid}`;
if (process.env.WARMCC_BUILD_NODE_CLIENT === '1' || !buildNativeClient(temp)) fs.copyFileSync(nodeClient, temp);
fs.renameSync(temp, client);
makeMasqueradeLinks(binDir);
console.log(
  `warmcc ${version} built: dist/{server,cli,client,storage-*}.js, dist/media/statsPanel.{js,css}${fs.existsSync(path.join(root, 'dist', 'native', 'lz4.node')) ? ', dist/native/lz4.node' : ''}, bin/warmcc, bin/warmcc-node, bin/masq/{${MASQUERADE_NAMES.join(',')}}`,
);
