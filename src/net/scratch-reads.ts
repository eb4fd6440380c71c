/**
 * Socket reads into one scratch buffer that every socket of the thread shares, instead of Node's
 * stream reads. A stream read costs, for every read: a buffer allocated at the read size and then
 * shrunk to the bytes read, an ArrayBuffer and a Buffer around it, and the Readable machinery that
 * pushes and emits the chunk. With `onread` (Node's own option for sockets it connects), the kernel
 * writes into memory the caller hands it and the read is one call.
 *
 * The bytes of each read are copied out of the scratch buffer into a buffer of their size
 * (`Buffer.allocUnsafe`: a slice of Node's pool for small reads) and handed to
 * {@link ScratchReads.onChunk}, which may keep it as long as it likes (a partial frame, bytes queued
 * for a later write), exactly as it may keep a stream chunk. The scratch buffer can be shared because
 * a thread reads one socket at a time and hands its bytes on before the next read. Memory that lives
 * on per connection (a buffer per socket, into which reads would go on) would be promoted with the
 * connection and freed only by full collections; the copies die young, as the chunks of stream reads
 * do.
 *
 * `net.Server` has no `onread` option for the sockets it accepts: {@link adoptAccepted} moves an
 * accepted connection into a socket that reads this way.
 */
import { Buffer } from 'node:buffer';
import { Socket, type OnReadOpts, type Server } from 'node:net';

/** The largest read: Node's stream reads ask for as much. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

/** Reads into the scratch buffer for one socket: pass {@link onread} to the socket, then set {@link onChunk}. */
export class ScratchReads {
  /**
   * Called with each read's bytes, in a buffer of their own. Exceptions propagate as from a 'data'
   * listener.
   */
  onChunk: (chunk: Buffer) => void = ignore;
  /** For `net.connect({ onread })` or {@link adoptAccepted}. */
  readonly onread: OnReadOpts;

  constructor() {
    const buffer = (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES));
    this.onread = {
      buffer,
      callback: (bytes: number) => {
        const chunk = Buffer.allocUnsafe(bytes);
        chunk.set(bytes === buffer.length ? buffer : buffer.subarray(0, bytes));
        this.onChunk(chunk);
        // Returning false would pause the socket; consumers pause it themselves.
        return true;
      },
    };
  }
}

function ignore(): void {}

/** The parts of a `net.Socket` that carry an accepted connection and the server's count of it. */
interface AcceptedSocket {
  _handle: unknown;
  _server: Server | null;
  server: Server | null;
}

/**
 * Moves a connection a `net.Server` accepted into a new socket that reads through `reads`, and
 * returns it; the accepted socket is left empty and must not be used. The server must be created with
 * `pauseOnConnect: true` (so that the accepted socket has read nothing) and this called from its
 * 'connection' listener. The new socket keeps the server's count of connections (`server.close()`
 * waits for it, `maxConnections` counts it) and the options the server set on the connection
 * (`allowHalfOpen`, `noDelay`, `keepAlive`).
 */
export function adoptAccepted(accepted: Socket, reads: ScratchReads): Socket {
  const parts = accepted as unknown as AcceptedSocket;
  const server = parts._server;
  const socket = new Socket({
    handle: parts._handle,
    // As the server made the accepted socket.
    allowHalfOpen: accepted.allowHalfOpen,
    readable: true,
    writable: true,
    onread: reads.onread,
  } as ConstructorParameters<typeof Socket>[0]);
  parts._handle = null;
  parts._server = null;
  parts.server = null;
  const adopted = socket as unknown as AcceptedSocket;
  adopted._server = server;
  adopted.server = server;
  return socket;
}
