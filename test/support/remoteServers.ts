// Test support: real storage servers (redis-server, memcached, nginx with WebDAV PUT) started on
// loopback with a free port and a temp directory, plus the S3 protocol emulator s3rver (no S3
// server can be installed here) and a TCP proxy that delays or cuts traffic (slow/dead remotes).
// Every start returns a handle whose stop() the test calls in its cleanup.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from './poll';
import { which } from './warmccEnv';

export interface RunningServer {
  port: number;
  /** URL for WARMCC_REMOTE */
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, log: () => string): Promise<void> {
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${log()}`);
      return accepts(port);
    },
    { timeoutMs: 15_000, what: `${what} to listen on ${port}`, state: () => `its output: ${log()}` },
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** The binary's path, or undefined (the test then skips with this message). */
export function serverBinary(name: string, candidates: string[]): string | undefined {
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? which(name);
}

export const redisBinary = serverBinary('redis-server', ['/usr/bin/redis-server']);
export const memcachedBinary = serverBinary('memcached', ['/usr/bin/memcached']);
export const nginxBinary = serverBinary('nginx', ['/usr/sbin/nginx']);

export function missingMessage(name: string, debianPackage: string): string {
  return `${name} is not installed (Debian package ${debianPackage}; .ci/run installs it)`;
}

async function startProcess(what: string, binary: string, args: string[], port: number, url: string, cwd: string): Promise<RunningServer> {
  let output = '';
  const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  await waitForPort(port, child, what, () => output);
  return {
    port,
    url,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}

export async function startRedis(extraArgs: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs];
  return startProcess('redis-server', redisBinary!, args, port, `redis://127.0.0.1:${port}/0`, dir);
}

export async function startMemcached(itemSize = '1m'): Promise<RunningServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-memc-'));
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64', '-I', itemSize];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  return startProcess('memcached', memcachedBinary!, args, port, `memcached://127.0.0.1:${port}`, dir);
}

export interface NginxOptions {
  /** HTTP Basic auth required (htpasswd with a {PLAIN} password) */
  basicAuth?: { user: string; password: string };
  /** `Authorization: Bearer <token>` required */
  bearerToken?: string;
  /** serve https with this certificate and key (PEM files) */
  tls?: { cert: string; key: string };
}

/** nginx serving <dir>/store with WebDAV PUT/DELETE: ccache's and warmcc's HTTP layout. */
export async function startNginxDav(options: NginxOptions = {}): Promise<RunningServer & { root: string }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-nginx-'));
  const root = path.join(dir, 'store');
  fs.mkdirSync(root);
  const access: string[] = [];
  if (options.basicAuth) {
    fs.writeFileSync(path.join(dir, 'htpasswd'), `${options.basicAuth.user}:{PLAIN}${options.basicAuth.password}\n`);
    access.push('auth_basic "warmcc";', `auth_basic_user_file ${dir}/htpasswd;`);
  }
  if (options.bearerToken) access.push(`if ($http_authorization != "Bearer ${options.bearerToken}") { return 401; }`);
  const listen = options.tls
    ? `listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${options.tls.cert};\n    ssl_certificate_key ${options.tls.key};`
    : `listen 127.0.0.1:${port};`;
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    ${listen}
    root ${root};
    client_max_body_size 0;
    location / {
      ${access.join('\n      ')}
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
`,
  );
  const scheme = options.tls ? 'https' : 'http';
  const server = await startProcess(
    'nginx',
    nginxBinary!,
    ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
    port,
    `${scheme}://127.0.0.1:${port}/cache`,
    dir,
  );
  return { ...server, root };
}

/** S3 protocol emulator from npm (s3rver), not a real S3: named as such in the tests. */
export async function startS3Emulator(bucket: string): Promise<RunningServer> {
  // s3rver ships no types
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an untyped CommonJS module, typed here
  const S3rver = require('s3rver') as new (options: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    port,
    // s3rver accepts its fixed demo credentials S3RVER/S3RVER
    url: `s3://S3RVER:S3RVER@${bucket}/ci|endpoint=http://127.0.0.1:${port}|path-style|region=us-east-1`,
    stop: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy in front of a server: forwards with a delay per chunk, or (when `broken`) accepts
 *  and then never answers — the black hole a dead remote host looks like. */
export interface DelayProxy {
  port: number;
  delayMs: number;
  broken: boolean;
  stop(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: DelayProxy = { port: 0, delayMs, broken: false, stop: async () => {} };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (proxy.broken) return; // swallow everything
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const relay = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk) => {
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, proxy.delayMs);
      });
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}

/** A self-signed certificate for 127.0.0.1 (openssl), for https tests; undefined without openssl. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } | undefined {
  const openssl = which('openssl');
  if (!openssl) return undefined;
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const result = spawnSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  return { cert, key };
}
