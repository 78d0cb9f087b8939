// Creates the backend for a remote tier. Each backend (and its client library: ioredis,
// @aws-sdk/client-s3, memjs) is bundled as its own file, dist/storage-<kind>.js, and required
// only when a tier of that kind is configured: a local-only server never loads them, and one
// with a Redis tier never parses the AWS SDK. Run from source (tests, tsx), plain imports.

import * as path from 'node:path';
import type { RemoteKind, RemoteSpec } from '../config/remoteTiers';
import type { RemoteBackend } from './storage';

declare const WARMCC_BUNDLED_BACKENDS: boolean | undefined;

interface BackendModule {
  createBackend(spec: RemoteSpec): RemoteBackend;
}

async function loadBackendModule(kind: RemoteKind): Promise<BackendModule> {
  if (typeof WARMCC_BUNDLED_BACKENDS === 'boolean') {
    // a runtime path esbuild leaves alone: the file sits next to dist/server.js
    const file = path.join(__dirname, `storage-${kind}.js`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle at a path known at run time
    return require(file) as BackendModule;
  }
  // an opaque specifier, so the bundler does not pull the backends into server.js
  const specifier: string = `./${kind}Storage`;
  return (await importModule(specifier)) as BackendModule;
}

function importModule(specifier: string): Promise<unknown> {
  return import(specifier);
}

export async function createRemoteBackend(spec: RemoteSpec): Promise<RemoteBackend> {
  const module = await loadBackendModule(spec.kind);
  return module.createBackend(spec);
}
