// Remote tier on S3 or an S3-compatible store (MinIO, Ceph RGW, Cloudflare R2, ...):
// s3://bucket[/prefix], objects at <prefix>/<key>. Credentials come from the standard AWS chain
// (environment, shared config/credentials files, SSO, instance/container roles) unless the URL
// carries them (s3://ACCESS_KEY_ID:SECRET@bucket). |endpoint=URL points at a compatible store,
// |path-style selects bucket-in-path addressing (MinIO, Ceph), |region=... the region.
// Only plain GetObject/PutObject/DeleteObject are used, so any S3 implementation serves.

import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { RemoteSpec } from '../config/remoteTiers';
import type { RemoteBackend } from './storage';

/** region for custom endpoints that ignore it (MinIO, Ceph) when none is configured */
const ENDPOINT_DEFAULT_REGION = 'us-east-1';

export function s3ClientConfig(spec: RemoteSpec): S3ClientConfig {
  const config: S3ClientConfig = {
    forcePathStyle: spec.pathStyle,
    // the tier's own circuit breaker and timeouts decide about failures: no SDK retries
    maxAttempts: 1,
    requestHandler: { connectionTimeout: spec.connectTimeoutMs, requestTimeout: spec.operationTimeoutMs, throwOnRequestTimeout: true },
    // entries carry their own checksums (remoteEnvelope.ts); the SDK's default trailing checksums
    // use aws-chunked uploads that several S3-compatible stores reject
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (spec.endpoint) config.endpoint = spec.endpoint;
  const region = spec.region ?? (spec.endpoint ? ENDPOINT_DEFAULT_REGION : undefined);
  if (region) config.region = region;
  if (spec.url.username) {
    config.credentials = { accessKeyId: decodeURIComponent(spec.url.username), secretAccessKey: decodeURIComponent(spec.url.password) };
  }
  return config;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export class S3Storage implements RemoteBackend {
  readonly name: string;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(private readonly spec: RemoteSpec) {
    this.name = spec.display;
    this.bucket = decodeURIComponent(spec.url.hostname);
    this.client = new S3Client(s3ClientConfig(spec));
  }

  private objectKey(key: string): string {
    return this.spec.prefix ? `${this.spec.prefix}/${key}` : key;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!response.Body) return undefined;
      return Buffer.from(await response.Body.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: data, ContentLength: data.length, ContentType: 'application/octet-stream' }),
    );
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

export function createBackend(spec: RemoteSpec): RemoteBackend {
  return new S3Storage(spec);
}
