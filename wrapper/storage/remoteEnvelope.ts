// What a remote tier stores for one key: a small header around the payload (a cache entry or a
// manifest). The header carries a format version and a CRC-32 over the key and the payload, so
// a truncated value, a server answering with an error page, another tool's object in the same
// namespace or a value filed under the wrong key (a misconfigured layout) are all recognised and
// treated as a miss, never handed on as a result.

import * as zlib from 'node:zlib';

const MAGIC = Buffer.from('WRT1', 'ascii');
export const REMOTE_FORMAT_VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 2 + 2 + 4 + 4; // magic, version, reserved, crc32(key + payload), payload length

export class ForeignRemoteEntryError extends Error {}

function checksum(key: string, payload: Buffer): number {
  return zlib.crc32(payload, zlib.crc32(Buffer.from(`${key}\0`, 'latin1')));
}

export function wrapRemoteEntry(key: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(REMOTE_FORMAT_VERSION, 4);
  header.writeUInt32LE(checksum(key, payload), 8);
  header.writeUInt32LE(payload.length, 12);
  return Buffer.concat([header, payload]);
}

/** The payload, or throws ForeignRemoteEntryError saying what is wrong. */
export function unwrapRemoteEntry(key: string, bytes: Buffer): Buffer {
  if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ForeignRemoteEntryError(`not a warmcc remote entry (${bytes.length} bytes, bad magic or too short)`);
  }
  const version = bytes.readUInt16LE(4);
  if (version !== REMOTE_FORMAT_VERSION) throw new ForeignRemoteEntryError(`unsupported remote entry format version ${version}`);
  const length = bytes.readUInt32LE(12);
  const payload = bytes.subarray(HEADER_LENGTH);
  if (payload.length !== length) throw new ForeignRemoteEntryError(`truncated remote entry (${payload.length} of ${length} payload bytes)`);
  if (checksum(key, payload) !== bytes.readUInt32LE(8))
    throw new ForeignRemoteEntryError('remote entry checksum mismatch (corrupt, or stored under another key)');
  return payload;
}
