// Parses remote tier specifications (WARMCC_REMOTE, warmcc.conf `remote`, the `warmcc.remote`
// VS Code setting): a URL, then optional `|attribute` or `|attribute=value` parts, e.g.
//   redis://cache.example:6379/0|read-only|ttl=604800
//   http://user:secret@cache.example/warmcc|layout=bazel
// Attributes follow the URL after `|` (ccache's remote_storage syntax) so they never clash with
// a server's own query parameters. Credentials are kept for the backend and never displayed:
// `display` is what logs, stats and the editor see.

export type RemoteKind = 'redis' | 's3' | 'http' | 'memcached';

export type HttpLayout = 'subdirs' | 'flat' | 'bazel';

export interface RemoteSpec {
  kind: RemoteKind;
  /** the URL without attributes, credentials included (only backends see it) */
  url: URL;
  /** the URL with credentials masked: safe for logs, stats and the editor */
  display: string;
  readOnly: boolean;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  /** seconds an entry lives on the server (redis, memcached); 0 = server's default */
  ttlSeconds: number;
  /** key namespace: redis key prefix, S3 key prefix, memcached key prefix */
  prefix: string;
  /** HTTP path layout (ccache's names; bazel = bazel-remote's /ac/ namespace) */
  layout: HttpLayout;
  /** HTTP: `Authorization: Bearer <token>` */
  bearerToken: string | undefined;
  /** S3 */
  region: string | undefined;
  endpoint: string | undefined;
  pathStyle: boolean;
  /** memcached: largest value the server accepts (its -I setting) */
  maxItemBytes: number;
  /** memcached: values needing more than this many items are not stored (counted) */
  maxChunks: number;
  /** every secret in this spec, so messages from the backend can be scrubbed */
  secrets: string[];
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 200;
export const DEFAULT_OPERATION_TIMEOUT_MS = 2000;
const DEFAULT_PREFIX = 'warmcc';
const DEFAULT_MEMCACHED_ITEM_BYTES = 1024 * 1024;
const DEFAULT_MEMCACHED_MAX_CHUNKS = 32;

const SCHEMES: Record<string, RemoteKind> = {
  'redis:': 'redis',
  'rediss:': 'redis',
  'redis+unix:': 'redis',
  's3:': 's3',
  'http:': 'http',
  'https:': 'http',
  'memcached:': 'memcached',
};

const ATTRIBUTES = [
  'read-only',
  'connect-timeout',
  'timeout',
  'ttl',
  'prefix',
  'layout',
  'bearer-token',
  'region',
  'endpoint',
  'path-style',
  'max-item-size',
  'max-chunks',
];

export class RemoteSpecError extends Error {}

/** Splits a list of specifications: whitespace or newlines between them (URLs contain neither). */
export function splitRemoteList(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

export function parseRemoteSpec(text: string, settingName: string): RemoteSpec {
  const [urlText, ...attributeTexts] = text.split('|');
  let url: URL;
  try {
    url = new URL(urlText!);
  } catch {
    throw new RemoteSpecError(`${settingName}: '${redactUrlText(urlText!)}' is not a URL`);
  }
  const kind = SCHEMES[url.protocol];
  if (!kind) {
    throw new RemoteSpecError(
      `${settingName}: unsupported scheme '${url.protocol}' in '${redactUrl(url)}' (known: ${Object.keys(SCHEMES)
        .map((s) => s.slice(0, -1))
        .join(', ')})`,
    );
  }
  const attributes = new Map<string, string>();
  for (const attribute of attributeTexts) {
    const equals = attribute.indexOf('=');
    const name = (equals < 0 ? attribute : attribute.slice(0, equals)).trim();
    const value = equals < 0 ? '' : attribute.slice(equals + 1).trim();
    if (!ATTRIBUTES.includes(name)) {
      throw new RemoteSpecError(`${settingName}: unknown attribute '${name}' for ${redactUrl(url)} (known: ${ATTRIBUTES.join(', ')})`);
    }
    attributes.set(name, value);
  }
  const where = `${settingName} (${redactUrl(url)})`;
  const flag = (name: string): boolean => {
    const value = attributes.get(name);
    if (value === undefined) return false;
    if (['', '1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    throw new RemoteSpecError(`${where}: ${name} expects true or false, got '${value}'`);
  };
  const count = (name: string, fallback: number, minimum = 0): number => {
    const value = attributes.get(name);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (value === '' || !Number.isInteger(number) || number < minimum) {
      throw new RemoteSpecError(`${where}: ${name} expects a whole number >= ${minimum}, got '${value}'`);
    }
    return number;
  };
  const layout = attributes.get('layout') ?? 'subdirs';
  if (layout !== 'subdirs' && layout !== 'flat' && layout !== 'bazel') {
    throw new RemoteSpecError(`${where}: layout expects subdirs, flat or bazel, got '${layout}'`);
  }
  if (kind !== 'http' && attributes.has('layout')) throw new RemoteSpecError(`${where}: layout applies to http(s) only`);
  if (kind === 's3' && !url.hostname) throw new RemoteSpecError(`${where}: expected s3://bucket[/prefix]`);
  if (kind === 'redis') {
    const db = url.protocol === 'redis+unix:' ? (url.searchParams.get('db') ?? '') : url.pathname.replace(/^\/|\/$/g, '');
    if (db !== '' && !/^\d+$/.test(db))
      throw new RemoteSpecError(`${where}: database '${db}' is not a number (redis://host:port/<db>, redis+unix:///socket?db=<db>)`);
    if (url.protocol === 'redis+unix:' && !url.pathname) throw new RemoteSpecError(`${where}: expected redis+unix:///path/to/socket`);
  }
  const endpoint = attributes.get('endpoint');
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      throw new RemoteSpecError(`${where}: endpoint '${endpoint}' is not a URL`);
    }
  }
  const bearerToken = attributes.get('bearer-token');
  const secrets = [url.password, decodeURIComponent(url.password), bearerToken ?? ''].filter((secret) => secret.length > 0);
  if (kind === 's3' && url.username) secrets.push(url.username, decodeURIComponent(url.username)); // the access key id
  return {
    kind,
    url,
    display: redactUrl(url),
    readOnly: flag('read-only'),
    connectTimeoutMs: count('connect-timeout', DEFAULT_CONNECT_TIMEOUT_MS, 1),
    operationTimeoutMs: count('timeout', DEFAULT_OPERATION_TIMEOUT_MS, 1),
    ttlSeconds: count('ttl', 0),
    prefix: attributes.get('prefix') ?? (kind === 's3' ? url.pathname.replace(/^\/+|\/+$/g, '') : DEFAULT_PREFIX),
    layout,
    bearerToken,
    region: attributes.get('region'),
    endpoint,
    pathStyle: flag('path-style'),
    maxItemBytes: count('max-item-size', DEFAULT_MEMCACHED_ITEM_BYTES, 1024),
    maxChunks: count('max-chunks', DEFAULT_MEMCACHED_MAX_CHUNKS, 1),
    secrets,
  };
}

export function parseRemoteList(text: string | undefined, settingName: string): RemoteSpec[] {
  const specs = splitRemoteList(text ?? '').map((spec) => parseRemoteSpec(spec, settingName));
  // tiers are told apart by their display name (stats, logs): the same server twice, e.g. with
  // two prefixes, gets a number
  const seen = new Map<string, number>();
  for (const spec of specs) {
    const count = (seen.get(spec.display) ?? 0) + 1;
    seen.set(spec.display, count);
    if (count > 1) spec.display = `${spec.display} #${count}`;
  }
  return specs;
}

/** The URL with user info masked (`***`), and no query string (it may carry tokens). */
export function redactUrl(url: URL): string {
  const userInfo = url.username || url.password ? '***@' : '';
  const host = url.host;
  return `${url.protocol}//${userInfo}${host}${url.pathname === '/' && !host ? '' : url.pathname}`.replace(/\/$/, '') || url.protocol;
}

function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

/** Replaces every secret of the spec in a message (backend errors may echo a URL). */
export function scrubSecrets(message: string, secrets: string[]): string {
  let result = message;
  for (const secret of secrets) if (secret.length >= 3) result = result.split(secret).join('***');
  return result;
}

/** How a tier is shown wherever users look (--show-config, the server log): no credentials. */
export function describeRemote(spec: RemoteSpec): string {
  return `${spec.display}${spec.readOnly ? '|read-only' : ''}`;
}
