// Remote tier over plain HTTP(S): GET reads (404 = miss), PUT writes, DELETE removes, in the path layouts that
// ccache's HTTP storage uses, so one server serves both:
//   subdirs  <base>/<first 2 hex>/<rest>   (nginx/Apache WebDAV need "create full put path")
//   flat     <base>/<key>
//   bazel    <base>/ac/<64 hex>            (bazel-remote; start it with --disable_http_ac_validation,
//                                           warmcc's values are not Bazel ActionResults)
// Credentials: user:password in the URL (Basic) or |bearer-token=... . Node's http module rather
// than fetch: fetch cannot bound the connect phase separately from the transfer.

import * as http from 'node:http';
import * as https from 'node:https';
import type { RemoteSpec } from '../config/remoteTiers';
import { RemoteTimeoutError, type RemoteBackend } from './storage';

interface Response {
  status: number;
  body: Buffer;
}

export function httpPath(spec: RemoteSpec, key: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(key)) throw new Error(`${spec.display}: invalid cache key '${key}'`);
  const base = spec.url.pathname.replace(/\/+$/, '');
  switch (spec.layout) {
    case 'flat':
      return `${base}/${key}`;
    case 'bazel':
      return `${base}/ac/${key.padStart(64, '0')}`;
    case 'subdirs':
      return `${base}/${key.slice(0, 2)}/${key.slice(2)}`;
  }
}

export class HttpStorage implements RemoteBackend {
  readonly name: string;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;

  constructor(private readonly spec: RemoteSpec) {
    this.name = spec.display;
    const secure = spec.url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 16 }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
    if (spec.bearerToken) this.authorization = `Bearer ${spec.bearerToken}`;
    else if (spec.url.username || spec.url.password) {
      const user = decodeURIComponent(spec.url.username);
      const password = decodeURIComponent(spec.url.password);
      this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const response = await this.request('GET', key);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`GET answered HTTP ${response.status}`);
    return response.body;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const response = await this.request('PUT', key, data);
    if (response.status < 200 || response.status >= 300) throw new Error(`PUT answered HTTP ${response.status}`);
  }

  async remove(key: string): Promise<void> {
    const response = await this.request('DELETE', key);
    // servers without DELETE (bazel-remote) answer 405: the next PUT overwrites anyway
    if (response.status >= 400 && response.status !== 404 && response.status !== 405) throw new Error(`DELETE answered HTTP ${response.status}`);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /** One request; repeated once when a kept-alive connection turns out to have been closed by
   *  the server meanwhile (Node reports ECONNRESET on the reused socket). */
  private async request(method: string, key: string, body?: Buffer): Promise<Response> {
    try {
      return await this.requestOnce(method, key, body);
    } catch (error) {
      if ((error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return this.requestOnce(method, key, body);
      }
      throw error;
    }
  }

  private requestOnce(method: string, key: string, body?: Buffer): Promise<Response> {
    const { url } = this.spec;
    const module = url.protocol === 'https:' ? https : http;
    const headers: http.OutgoingHttpHeaders = {};
    if (this.authorization) headers.authorization = this.authorization;
    if (body) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = body.length;
    }
    return new Promise((resolve, reject) => {
      const request = module.request(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || undefined,
          path: httpPath(this.spec, key),
          method,
          headers,
          agent: this.agent,
          timeout: this.spec.operationTimeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const received = Buffer.concat(chunks);
            const expected = response.headers['content-length'];
            if (method === 'GET' && response.statusCode === 200 && expected !== undefined && Number(expected) !== received.length) {
              reject(new Error(`${method} ended after ${received.length} of ${expected} bytes`));
            } else resolve({ status: response.statusCode ?? 0, body: received });
          });
          response.on('error', reject);
          response.on('aborted', () => reject(new Error(`${method} response aborted`)));
        },
      );
      // the connect phase has its own, shorter limit (a black-holed host)
      const connectTimer = setTimeout(
        () => request.destroy(new RemoteTimeoutError(`no connection within ${this.spec.connectTimeoutMs} ms`)),
        this.spec.connectTimeoutMs,
      );
      request.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      request.on('timeout', () => request.destroy(new RemoteTimeoutError(`no answer within ${this.spec.operationTimeoutMs} ms`)));
      request.on('error', (error) => {
        clearTimeout(connectTimer);
        reject(Object.assign(error, { reusedSocket: request.reusedSocket }));
      });
      request.on('close', () => clearTimeout(connectTimer));
      request.end(body);
    });
  }
}

export function createBackend(spec: RemoteSpec): RemoteBackend {
  return new HttpStorage(spec);
}
