// The compile protocol on one connection (docs/protocol.md): preface, one COMPILE frame, reply.
// Garbage, truncated frames and unknown versions get an ERROR frame or a closed connection;
// nothing a client sends can take the server down.

import type * as net from 'node:net';
import { CompileConnectionParser, encodeFrame, encodeString, FrameType, type CompileRequest } from '../contract/protocol';
import { continueHandedOver, handleCompileRequest, type CompileReply, type HandedOver } from '../pipeline/compileRequest';
import type { CompileContext } from '../pipeline/context';

/** a client that connects but never sends its request is dropped after this */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface CompileConnectionHooks {
  begin(): void;
  end(): void;
}

/** Answers a connection that did not speak the protocol (and closes it). */
export function refuseConnection(socket: net.Socket, context: Pick<CompileContext, 'log'>, message: string): void {
  context.log(`protocol error: ${message}`);
  socket.removeAllListeners('data');
  if (!socket.destroyed) socket.end(encodeFrame(FrameType.Error, encodeString(message)));
}

/** Reads a connection's request and serves it from the start. */
export function serveCompileConnection(socket: net.Socket, context: CompileContext, hooks: CompileConnectionHooks): void {
  const parser = new CompileConnectionParser();
  let handled = false;
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => {
    if (!handled) socket.destroy();
  });
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    const parsed = parser.push(chunk);
    if (parsed.state === 'error') refuseConnection(socket, context, parsed.message);
    if (parsed.state !== 'request') return;
    handled = true;
    socket.setTimeout(0);
    serveRequest(socket, context, hooks, parsed.request, (signal) => handleCompileRequest(parsed.request, context, signal));
  });
}

/** Serves a request a hit server read, prepared and looked up, from where it stopped. */
export function serveHandedOverConnection(
  socket: net.Socket,
  context: CompileContext,
  hooks: CompileConnectionHooks,
  request: CompileRequest,
  handedOver: HandedOver | undefined,
  remoteTiers: boolean,
): void {
  socket.on('error', () => {});
  // the client sends nothing more; reading lets a vanished client be noticed (and its compile killed)
  socket.on('data', () => refuseConnection(socket, context, 'more than one request on a connection'));
  serveRequest(socket, context, hooks, request, (signal) =>
    handedOver ? continueHandedOver(request, context, signal, handedOver, remoteTiers) : handleCompileRequest(request, context, signal),
  );
}

function serveRequest(
  socket: net.Socket,
  context: CompileContext,
  hooks: CompileConnectionHooks,
  request: CompileRequest,
  run: (signal: AbortSignal) => Promise<CompileReply>,
): void {
  const abort = new AbortController();
  socket.on('close', () => abort.abort());
  hooks.begin();
  void run(abort.signal)
    .catch((error: Error): CompileReply => {
      context.stats.internalError(request.argv.join(' ').slice(0, 200), error.message);
      context.log(`internal error on ${request.argv.join(' ')}: ${error.stack ?? error.message}`);
      return { kind: 'error', message: `internal server error: ${error.message}` };
    })
    .then((reply) => sendReply(socket, reply))
    .finally(() => hooks.end());
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
