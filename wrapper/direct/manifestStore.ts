// Reading manifests from the cache and adding entries to them, with the decoded form kept in
// memory (a rebuild reads the same manifests again).

import type { CacheStorage } from '../storage/storage';
import { prepareExistenceCheck } from './directoryListings';
import { withEntry, type Manifest, type ManifestEntry } from './manifest';
import { decodeManifest, encodeManifest } from './manifestFormat';

/** Decoded manifests by key, with the bytes they came from: a rebuild reads the same manifests
 *  again, and decompressing and expanding one costs more than comparing its bytes. Callers never
 *  modify a manifest (withEntry builds a new one), so sharing the decoded object is safe. */
const decodedManifests = new Map<string, { bytes: Buffer; manifest: Manifest }>();
const DECODED_MANIFESTS_KEPT = 4096;

function keepDecoded(directKey: string, bytes: Buffer, manifest: Manifest): void {
  decodedManifests.delete(directKey);
  if (decodedManifests.size >= DECODED_MANIFESTS_KEPT) decodedManifests.delete(decodedManifests.keys().next().value!);
  decodedManifests.set(directKey, { bytes, manifest });
  // split the absent lists by directory now (after a miss's reply), not in the next build's lookup
  for (const entry of manifest.entries) prepareExistenceCheck(entry.absent);
}

export async function readManifest(storage: CacheStorage, directKey: string): Promise<Manifest | undefined> {
  const bytes = await storage.get(directKey);
  if (!bytes) return undefined;
  const known = decodedManifests.get(directKey);
  if (known?.bytes.equals(bytes)) return known.manifest;
  const manifest = decodeManifest(bytes);
  if (manifest) keepDecoded(directKey, bytes, manifest);
  else decodedManifests.delete(directKey);
  return manifest;
}

/** Stores a manifest and keeps it decoded: the rebuild after a cold build finds every manifest
 *  by comparing bytes, without decompressing and expanding it (a C++ manifest lists hundreds of
 *  files and thousands of absent candidates; decoding 81 of them took 25-47 ms of the first
 *  rebuild). */
async function writeManifest(storage: CacheStorage, directKey: string, manifest: Manifest): Promise<void> {
  const bytes = encodeManifest(manifest);
  await storage.put(directKey, bytes);
  keepDecoded(directKey, bytes, manifest);
}

/** Adds an entry to the manifest under `directKey` (re-read first: another compile may have
 *  added one since this compile's lookup). */
export async function addManifestEntry(storage: CacheStorage, directKey: string, entry: ManifestEntry): Promise<void> {
  const current = await readManifest(storage, directKey).catch(() => undefined);
  await writeManifest(storage, directKey, withEntry(current, entry));
}
