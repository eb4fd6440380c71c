/**
 * Writes straight to a socket's handle, without Node's Writable machinery. A `socket.write` costs,
 * besides the system call: the stream's bookkeeping, a write request object, and a tick
 * (`process.nextTick`) to report the write done; they are most of the garbage a proxy makes per
 * reply when each client has one request in flight, and so set how often the young generation is
 * collected. The handle's own write (libuv: try the write at once, queue the rest) needs only a
 * request object, which a connection reuses while its writes complete at once.
 *
 * A direct write is made only when Node's stream has nothing queued and no earlier direct write is
 * still queued in libuv; otherwise the caller writes through the stream, whose writes libuv queues
 * after the direct one, so the order holds. libuv also finishes queued writes before it shuts the
 * connection down (`socket.end()`). What a direct write leaves queued is not in
 * `socket.writableLength`: {@link DirectWrites.queuedBytes} counts it, at most one write.
 *
 * It uses Node's internal `stream_wrap` binding (`process.binding`), which Node may take away: then
 * every write goes through the stream, as before.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

/** The handle's write request (Node's `WriteWrap`); Node calls `oncomplete` when a queued write ends. */
interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  /** The bytes, held while libuv holds the request. */
  buffer: Uint8Array | null;
  writes: DirectWrites | undefined;
}

interface StreamHandle {
  writeBuffer(req: WriteRequest, bytes: Uint8Array): number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

/** The parts of a `net.Socket` a direct write reads and updates. */
interface SocketInternals {
  _handle: StreamHandle | null;
  connecting: boolean;
  _unrefTimer?: () => void;
}

const binding = loadBinding();

function loadBinding(): StreamWrapBinding | undefined {
  try {
    const load = (process as unknown as { binding(name: string): unknown }).binding;
    const found = load('stream_wrap') as Partial<StreamWrapBinding>;
    if (typeof found.WriteWrap !== 'function' || !(found.streamBaseState instanceof Int32Array))
      return undefined;
    if (typeof found.kLastWriteWasAsync !== 'number') return undefined;
    return found as StreamWrapBinding;
  } catch {
    return undefined;
  }
}

/** Direct writes to one socket. */
export class DirectWrites {
  /** Bytes of the last direct write that the kernel did not take at once and libuv still holds. */
  queuedBytes = 0;
  /** The request, reused while writes complete at once. */
  private request: WriteRequest | undefined;

  constructor(readonly socket: Socket) {}

  /**
   * Writes `bytes` to the socket's handle, or returns false when it cannot (the caller then writes
   * through the stream). `bytes` must not change until `queuedBytes` is 0 again.
   */
  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    const internals = socket as unknown as SocketInternals;
    const handle = internals._handle;
    if (
      binding === undefined ||
      handle === null ||
      this.queuedBytes > 0 ||
      internals.connecting ||
      socket.writableLength !== 0 ||
      socket.writableEnded ||
      socket.destroyed
    ) {
      return false;
    }
    let request = this.request;
    if (request === undefined) {
      request = new binding.WriteWrap();
      request.oncomplete = onQueuedWriteDone;
      request.buffer = null;
      request.writes = this;
    }
    const status = handle.writeBuffer(request, bytes);
    if (status !== 0) {
      socket.destroy(writeError(status));
      return true;
    }
    // The socket's idle timeout counts writes too, as a stream write would tell it.
    internals._unrefTimer?.();
    if (binding.streamBaseState[binding.kLastWriteWasAsync] !== 0) {
      // libuv holds the request (and the bytes) until the rest is written.
      request.buffer = bytes;
      this.request = undefined;
      this.queuedBytes = bytes.length;
    } else {
      this.request = request;
    }
    return true;
  }
}

function onQueuedWriteDone(this: WriteRequest, status: number): void {
  const writes = this.writes!;
  this.buffer = null;
  writes.queuedBytes = 0;
  if (status < 0 && !writes.socket.destroyed) writes.socket.destroy(writeError(status));
}

function writeError(status: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(status);
  const error: NodeJS.ErrnoException = new Error(`write ${code}`);
  error.code = code;
  error.errno = status;
  error.syscall = 'write';
  return error;
}
