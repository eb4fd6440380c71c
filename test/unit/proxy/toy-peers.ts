/** Servers and clients speaking the toy protocol, for the proxy's own tests. */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ByteQueue } from '../../../src/codec/index.js';
import { decodeToy, encodeToy, toyCodecFactory, type ToyFrame } from './toy-codec.js';

export interface ToyServerOptions {
  /** Answer after this many ms (a function of the request gives per-request delays). */
  delayMs?: number | ((frame: ToyFrame) => number);
  /** Never answer. */
  silent?: boolean;
  /** Answer heartbeats (even when silent). */
  answerHeartbeats?: boolean;
  /** Answer every request with this many bytes of payload instead of echoing it. */
  replyPayloadBytes?: number;
  /** Accept connections and never read them (an upstream that hangs). */
  deaf?: boolean;
}

/** An upstream that answers each request with its name and echoes the headers it saw. */
export class ToyServer {
  readonly received: ReturnType<typeof decodeToy>[] = [];
  connections = 0;
  /** Connections the peer (the proxy) closed. */
  closedByPeer = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly name: string,
    private readonly options: ToyServerOptions = {},
  ) {
    const fixedPayload =
      options.replyPayloadBytes === undefined ? undefined : 'r'.repeat(options.replyPayloadBytes);
    this.server = createServer(socket => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('end', () => this.closedByPeer++);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      if (this.options.deaf) {
        socket.pause();
        return;
      }
      const codec = toyCodecFactory.create('downstream');
      const queue = new ByteQueue();
      socket.on('data', chunk => {
        queue.push(chunk);
        let message;
        while ((message = codec.decode(queue)) !== undefined) {
          const frame = decodeToy(message.bytes);
          this.received.push(frame);
          if (frame.type === 'heartbeat' && this.options.answerHeartbeats) {
            socket.write(encodeToy({ type: 'heartbeat-reply', id: frame.id }));
          }
          if (frame.type !== 'request' || this.options.silent) continue;
          const reply = encodeToy({
            type: 'response',
            id: frame.id,
            headers: { server: this.name },
            payload: fixedPayload ?? `${this.name}:${frame.payload}`,
          });
          const delay =
            typeof this.options.delayMs === 'function' ? this.options.delayMs(frame) : this.options.delayMs;
          if (delay === undefined || delay <= 0) socket.write(reply);
          else setTimeout(() => socket.write(reply), delay);
        }
      });
    });
  }

  /** Tells every connected peer that the server is going away (a `goaway` frame); keeps answering. */
  goAway(): void {
    for (const s of this.sockets) s.write(encodeToy({ type: 'goaway', id: 0 }));
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  async start(): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

/** A client connection that sends toy frames and collects replies by id. */
export class ToyClient {
  readonly socket: Socket;
  readonly replies = new Map<number, ReturnType<typeof decodeToy>>();
  closed = false;
  private readonly waiters = new Map<number, (frame: ReturnType<typeof decodeToy>) => void>();
  private readonly queue = new ByteQueue();
  private readonly codec = toyCodecFactory.create('upstream');

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', chunk => {
      this.queue.push(chunk);
      let message;
      while ((message = this.codec.decode(this.queue)) !== undefined) {
        const frame = decodeToy(message.bytes);
        this.replies.set(frame.id, frame);
        this.waiters.get(frame.id)?.(frame);
        this.waiters.delete(frame.id);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static connect(host: string, port: number): Promise<ToyClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new ToyClient(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: ToyFrame): void {
    this.socket.write(encodeToy(frame));
  }

  /** Sends a request and waits (bounded) for the reply with its id. */
  call(frame: Omit<ToyFrame, 'type'>, timeoutMs = 3000): Promise<ReturnType<typeof decodeToy>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply to id ${frame.id} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.set(frame.id, reply => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send({ ...frame, type: 'request' });
    });
  }

  /** Resolves when the server closes the connection (bounded). */
  waitClosed(timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('connection not closed')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
