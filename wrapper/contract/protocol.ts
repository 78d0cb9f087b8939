// The compile protocol of docs/protocol.md, for the Node side (server and Node fallback client).
// Kept free of heavy imports: the Node client loads it on every compile.

import { isUtf8 } from 'node:buffer';

export const PROTOCOL_VERSION = 1;
export const PREFACE_MAGIC = Buffer.from('WARMCC', 'ascii');
export const PREFACE_LENGTH = PREFACE_MAGIC.length + 2;
export const MAX_FRAME_BODY = 256 * 1024 * 1024;
export const FRAME_HEADER_LENGTH = 5;

/** Frame types (the u8 at the start of every frame). */
export const FrameType = {
  Compile: 0x01,
  Stdout: 0x10,
  Stderr: 0x11,
  Exit: 0x12,
  RunLocally: 0x13,
  Error: 0x14,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface CompileRequest {
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  cwd: string;
  /** argv[0] is the resolved real compiler */
  argv: string[];
  env: Record<string, string>;
  pid: number;
  umask: number;
  /** the first string of the request that is not valid UTF-8 ('argv[2]', 'cwd', 'environment
   *  variable NAME'): the server keeps strings as UTF-8, so such a call is not cacheable (the
   *  client runs it with its exact bytes). Absent when every string is valid UTF-8. */
  notUtf8?: string;
}

export interface Frame {
  type: number;
  body: Buffer;
}

export class ProtocolError extends Error {}

export function encodePreface(version = PROTOCOL_VERSION): Buffer {
  const buffer = Buffer.alloc(PREFACE_LENGTH);
  PREFACE_MAGIC.copy(buffer, 0);
  buffer.writeUInt16LE(version, PREFACE_MAGIC.length);
  return buffer;
}

/** Returns the version named by a preface, or throws if the magic is wrong. */
export function decodePreface(buffer: Buffer): number {
  if (buffer.length < PREFACE_LENGTH || !buffer.subarray(0, PREFACE_MAGIC.length).equals(PREFACE_MAGIC)) {
    throw new ProtocolError('bad preface (not a warmcc client)');
  }
  return buffer.readUInt16LE(PREFACE_MAGIC.length);
}

export function encodeFrame(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_LENGTH);
  header.writeUInt8(type, 0);
  header.writeUInt32LE(body.length, 1);
  return Buffer.concat([header, body]);
}

export function encodeString(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}

function encodeU32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0, 0);
  return buffer;
}

export function encodeCompileRequest(request: CompileRequest): Buffer {
  const flags = (request.stdoutIsTty ? 1 : 0) | (request.stderrIsTty ? 2 : 0);
  const envEntries = Object.entries(request.env).map(([name, value]) => `${name}=${value}`);
  return encodeFrame(
    FrameType.Compile,
    Buffer.concat([
      encodeU32(flags),
      encodeString(request.cwd),
      encodeU32(request.argv.length),
      ...request.argv.map((arg) => encodeString(arg)),
      encodeU32(envEntries.length),
      ...envEntries.map((entry) => encodeString(entry)),
      encodeU32(request.pid),
      encodeU32(request.umask),
    ]),
  );
}

/** Sequential reader over a frame body; every read checks bounds so a lying length can't
 *  make us read past the body. */
class BodyReader {
  private offset = 0;
  constructor(private readonly body: Buffer) {}

  u32(what: string): number {
    if (this.offset + 4 > this.body.length) throw new ProtocolError(`truncated COMPILE frame at ${what}`);
    const value = this.body.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  /** the first string read that was not valid UTF-8 (decoded with replacement characters) */
  notUtf8: string | undefined;

  string(what: string): string {
    const length = this.u32(what);
    if (this.offset + length > this.body.length) throw new ProtocolError(`truncated COMPILE frame at ${what}`);
    const bytes = this.body.subarray(this.offset, this.offset + length);
    this.offset += length;
    if (this.notUtf8 === undefined && !isUtf8(bytes)) this.notUtf8 = what;
    return bytes.toString('utf8');
  }

  count(what: string): number {
    const value = this.u32(what);
    // each entry takes at least 4 bytes: a count larger than that is a lie
    if (value * 4 > this.body.length - this.offset) throw new ProtocolError(`impossible ${what} count ${value}`);
    return value;
  }

  end(): void {
    if (this.offset !== this.body.length) throw new ProtocolError('trailing bytes in COMPILE frame');
  }
}

export function decodeCompileRequest(body: Buffer): CompileRequest {
  const reader = new BodyReader(body);
  const flags = reader.u32('flags');
  const cwd = reader.string('cwd');
  const argc = reader.count('argv');
  const argv: string[] = [];
  for (let i = 0; i < argc; i++) argv.push(reader.string(`argv[${i}]`));
  const envc = reader.count('env');
  const env: Record<string, string> = {};
  for (let i = 0; i < envc; i++) {
    const entry = reader.string('env');
    const equals = entry.indexOf('=');
    if (reader.notUtf8 === 'env') reader.notUtf8 = `environment variable ${equals > 0 ? entry.slice(0, equals) : entry}`;
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  const pid = reader.u32('pid');
  const umask = reader.u32('umask') & 0o777;
  reader.end();
  if (argv.length === 0) throw new ProtocolError('COMPILE frame without a compiler');
  if (!cwd.startsWith('/')) throw new ProtocolError(`COMPILE frame cwd is not absolute: '${cwd}'`);
  const request: CompileRequest = { stdoutIsTty: (flags & 1) !== 0, stderrIsTty: (flags & 2) !== 0, cwd, argv, env, pid, umask };
  if (reader.notUtf8 !== undefined) request.notUtf8 = reader.notUtf8;
  return request;
}

/** Incremental frame splitter for a byte stream. */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const frames: Frame[] = [];
    let data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER_LENGTH) {
      const type = data.readUInt8(offset);
      const length = data.readUInt32LE(offset + 1);
      if (length > MAX_FRAME_BODY) throw new ProtocolError(`frame of ${length} bytes exceeds the ${MAX_FRAME_BODY} limit`);
      if (data.length - offset - FRAME_HEADER_LENGTH < length) break;
      const start = offset + FRAME_HEADER_LENGTH;
      frames.push({ type, body: data.subarray(start, start + length) });
      offset = start + length;
    }
    data = data.subarray(offset);
    this.pending = data.length ? [data] : [];
    this.pendingLength = data.length;
    return frames;
  }

  get bufferedBytes(): number {
    return this.pendingLength;
  }
}

/** What starts a connection to the server: the compile protocol's preface, or JSON-RPC's
 *  `Content-Length` header (the CLI and the editor). */
export function connectionProtocol(firstByte: number): 'compile' | 'rpc' | undefined {
  if (firstByte === PREFACE_MAGIC[0]) return 'compile';
  if (firstByte === 0x43 /* 'C' of Content-Length */) return 'rpc';
  return undefined;
}

export type ParsedConnection =
  | { state: 'incomplete' }
  | { state: 'request'; request: CompileRequest }
  /** the client gets an ERROR frame with the message, then the connection closes */
  | { state: 'error'; message: string };

/** Reads a compile connection's preface and its one COMPILE frame from the bytes as they
 *  arrive (the main server and the hit servers read connections the same way). A client sends
 *  nothing after its COMPILE frame: once the request is read, the connection may be handed to
 *  another process without losing a byte. */
export class CompileConnectionParser {
  private preface: Buffer | undefined = Buffer.alloc(0);
  private readonly frames = new FrameReader();
  private done = false;

  push(chunk: Buffer): ParsedConnection {
    if (this.done) return { state: 'error', message: 'more than one request on a connection' };
    try {
      let rest = chunk;
      if (this.preface !== undefined) {
        this.preface = Buffer.concat([this.preface, chunk]);
        if (this.preface.length < PREFACE_LENGTH) return { state: 'incomplete' };
        const version = decodePreface(this.preface);
        if (version !== PROTOCOL_VERSION) {
          this.done = true;
          return {
            state: 'error',
            message: `client speaks protocol version ${version}, this server speaks ${PROTOCOL_VERSION} (restart the server after upgrading: warmcc --stop-server)`,
          };
        }
        rest = this.preface.subarray(PREFACE_LENGTH);
        this.preface = undefined;
      }
      const frames = this.frames.push(rest);
      if (frames.length === 0) return { state: 'incomplete' };
      this.done = true;
      if (frames.length > 1) throw new ProtocolError('more than one request on a connection');
      const frame = frames[0]!;
      if (frame.type !== FrameType.Compile) throw new ProtocolError(`unexpected frame type 0x${frame.type.toString(16)}`);
      return { state: 'request', request: decodeCompileRequest(frame.body) };
    } catch (error) {
      this.done = true;
      return { state: 'error', message: error instanceof ProtocolError ? error.message : `bad request: ${(error as Error).message}` };
    }
  }
}
