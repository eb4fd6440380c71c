/**
 * A byte-level Dubbo connection for what dubbo2.js cannot show: exact response frames (statuses,
 * response attachments), heartbeats at will, and malformed input.
 */
import net from 'node:net';
import { FrameReader } from './dubbo-wire.js';

export class RawDubboConnection {
  /** Resolves when the peer closes the connection (or it fails). */
  readonly closed: Promise<void>;
  private readonly frames: Buffer[] = [];
  private readonly waiters: Array<(frame: Buffer | undefined) => void> = [];
  private readonly reader = new FrameReader();
  private ended = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', chunk => {
      for (const frame of this.reader.push(chunk)) {
        const waiter = this.waiters.shift();
        if (waiter === undefined) this.frames.push(frame);
        else waiter(frame);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise(resolve =>
      socket.once('close', () => {
        this.ended = true;
        for (const waiter of this.waiters.splice(0)) waiter(undefined);
        resolve();
      }),
    );
  }

  static async connect(host: string, port: number): Promise<RawDubboConnection> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawDubboConnection(socket);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next frame received; rejects if none arrives within `timeoutMs` or the connection closes. */
  async next(timeoutMs = 3000): Promise<Buffer> {
    const queued = this.frames.shift();
    if (queued !== undefined) return queued;
    if (this.ended) throw new Error('the connection is closed');
    let timer: NodeJS.Timeout | undefined;
    try {
      const frame = await new Promise<Buffer | undefined>((resolve, reject) => {
        this.waiters.push(resolve);
        timer = setTimeout(() => {
          // A frame arriving later must not go to a caller that gave up.
          this.waiters.splice(this.waiters.indexOf(resolve), 1);
          reject(new Error(`no frame within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      if (frame === undefined) throw new Error('the connection closed before a frame arrived');
      return frame;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `bytes` and returns the next frame. */
  async exchange(bytes: Buffer, timeoutMs?: number): Promise<Buffer> {
    this.send(bytes);
    return this.next(timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
