// The compile protocol on one connection (docs/protocol.md): preface, one COMPILE frame, reply.
// Garbage, truncated frames and unknown versions get an ERROR frame or a closed connection;
// nothing a client sends can take the server down.

import type * as net from 'node:net';
import {
  decodeCompileRequest,
  decodePreface,
  encodeFrame,
  encodeString,
  FrameReader,
  FrameType,
  PREFACE_LENGTH,
  PROTOCOL_VERSION,
  ProtocolError,
} from '../contract/protocol';
import { handleCompileRequest, type CompileContext, type CompileReply } from '../pipeline/compileRequest';

/** a client that connects but never sends its request is dropped after this */
const REQUEST_TIMEOUT_MS = 30_000;

export interface CompileConnectionHooks {
  begin(): void;
  end(): void;
}

export function serveCompileConnection(socket: net.Socket, context: CompileContext, hooks: CompileConnectionHooks): void {
  const reader = new FrameReader();
  let preface: Buffer | undefined = Buffer.alloc(0);
  let handled = false;
  const abort = new AbortController();

  socket.setTimeout(REQUEST_TIMEOUT_MS, () => {
    if (!handled) socket.destroy();
  });
  socket.on('error', () => {});
  socket.on('close', () => abort.abort());

  const fail = (message: string): void => {
    context.log(`protocol error: ${message}`);
    if (!socket.destroyed) socket.end(encodeFrame(FrameType.Error, encodeString(message)));
    socket.removeAllListeners('data');
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      if (preface !== undefined) {
        preface = Buffer.concat([preface, chunk]);
        if (preface.length < PREFACE_LENGTH) return;
        const version = decodePreface(preface);
        if (version !== PROTOCOL_VERSION) {
          fail(`client speaks protocol version ${version}, this server speaks ${PROTOCOL_VERSION} (restart the server after upgrading: warmcc --stop-server)`);
          return;
        }
        chunk = preface.subarray(PREFACE_LENGTH);
        preface = undefined;
      }
      for (const frame of reader.push(chunk)) {
        if (handled) throw new ProtocolError('more than one request on a connection');
        if (frame.type !== FrameType.Compile) throw new ProtocolError(`unexpected frame type 0x${frame.type.toString(16)}`);
        handled = true;
        socket.setTimeout(0);
        const request = decodeCompileRequest(frame.body);
        hooks.begin();
        handleCompileRequest(request, context, abort.signal)
          .catch((error: Error): CompileReply => {
            context.stats.internalError(request.argv.join(' ').slice(0, 200), error.message);
            context.log(`internal error on ${request.argv.join(' ')}: ${error.stack ?? error.message}`);
            return { kind: 'error', message: `internal server error: ${error.message}` };
          })
          .then((reply) => sendReply(socket, reply))
          .finally(() => hooks.end());
      }
    } catch (error) {
      fail(error instanceof ProtocolError ? error.message : `bad request: ${(error as Error).message}`);
    }
  });
}

export function sendReply(socket: net.Socket, reply: CompileReply): void {
  if (socket.destroyed) return;
  const frames: Buffer[] = [];
  switch (reply.kind) {
    case 'exit': {
      if (reply.stdout.length) frames.push(encodeFrame(FrameType.Stdout, reply.stdout));
      if (reply.stderr.length) frames.push(encodeFrame(FrameType.Stderr, reply.stderr));
      const code = Buffer.alloc(4);
      code.writeInt32LE(reply.code, 0);
      frames.push(encodeFrame(FrameType.Exit, code));
      break;
    }
    case 'runLocally':
      frames.push(encodeFrame(FrameType.RunLocally, encodeString(reply.reason)));
      break;
    case 'error':
      frames.push(encodeFrame(FrameType.Error, encodeString(reply.message)));
      break;
  }
  socket.end(Buffer.concat(frames));
}
