/**
 * Socket reads into slabs the connection allocates, instead of Node's stream reads. A stream read
 * costs, for every read: a buffer allocated at the read size and then shrunk to the bytes read, an
 * ArrayBuffer and a Buffer around it, and the Readable machinery that pushes and emits the chunk; the
 * buffers are young-generation garbage and off-heap memory that only a collection frees. With
 * `onread` (Node's own option for sockets it connects), the kernel writes straight into memory the
 * caller hands it, and the read is one call.
 *
 * Each read lands in the unused rest of the connection's current slab, and the bytes go to
 * {@link SlabReads.onChunk} as a view of that region. A region is never read into again, so a consumer
 * may keep the view as long as it likes (a partial frame, bytes queued for a later write), exactly as
 * it may keep a stream chunk: the view keeps its slab alive, as a chunk keeps its ArrayBuffer. When
 * less than a quarter of the slab is left, the next read gets a new slab: twice as large when the last
 * read filled all the room it had, half as large when no read took more than an eighth of it (a busy
 * connection soon reads in large regions, a quiet one holds a small slab).
 *
 * `net.Server` has no `onread` option for the sockets it accepts: {@link adoptAccepted} moves an
 * accepted connection into a socket that reads this way.
 */
import { Buffer } from 'node:buffer';
import { Socket, type OnReadOpts, type Server } from 'node:net';

const FIRST_SLAB_BYTES = 4 * 1024;
const MAX_SLAB_BYTES = 64 * 1024;

/** Reads into slabs for one socket: pass {@link onread} to the socket, then set {@link onChunk}. */
export class SlabReads {
  /**
   * Called with each read's bytes (a view the consumer may keep). Exceptions propagate as from a
   * 'data' listener.
   */
  onChunk: (chunk: Buffer) => void = ignore;
  /** For `net.connect({ onread })` or {@link adoptAccepted}. */
  readonly onread: OnReadOpts;
  private slab = Buffer.allocUnsafeSlow(FIRST_SLAB_BYTES);
  /** Where the next read goes: the region handed to the socket is `slab[offset, slab.length)`. */
  private offset = 0;
  /** The largest read into the current slab. */
  private largest = 0;

  constructor() {
    this.onread = {
      buffer: () => this.nextRegion(),
      callback: (bytes: number) => this.onRead(bytes),
    };
  }

  private onRead(bytes: number): boolean {
    const start = this.offset;
    this.offset = start + bytes;
    if (bytes > this.largest) this.largest = bytes;
    this.onChunk(this.slab.subarray(start, start + bytes));
    // Returning false would pause the socket; consumers pause it themselves.
    return true;
  }

  /** Called by the socket before its first read and after each read. */
  private nextRegion(): Buffer {
    const slab = this.slab;
    const left = slab.length - this.offset;
    if (left * 4 >= slab.length) return this.offset === 0 ? slab : slab.subarray(this.offset);
    let size = slab.length;
    // A read that filled its region: more was waiting. Reads of an eighth of the slab at most: a
    // smaller one serves as well.
    if (left === 0) size = Math.min(size * 2, MAX_SLAB_BYTES);
    else if (this.largest * 8 <= size) size = Math.max(size / 2, FIRST_SLAB_BYTES);
    this.slab = Buffer.allocUnsafeSlow(size);
    this.offset = 0;
    this.largest = 0;
    return this.slab;
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
 * Moves a connection a `net.Server` accepted into a new socket that reads into `reads`' slabs, and
 * returns it; the accepted socket is left empty and must not be used. The server must be created with
 * `pauseOnConnect: true` (so that the accepted socket has read nothing) and this called from its
 * 'connection' listener. The new socket keeps the server's count of connections (`server.close()`
 * waits for it, `maxConnections` counts it) and the options the server set on the connection
 * (`noDelay`, `keepAlive`).
 */
export function adoptAccepted(accepted: Socket, reads: SlabReads, allowHalfOpen: boolean): Socket {
  const parts = accepted as unknown as AcceptedSocket;
  const server = parts._server;
  const socket = new Socket({
    handle: parts._handle,
    allowHalfOpen,
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
