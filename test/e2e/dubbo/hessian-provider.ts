/**
 * A Dubbo2 provider written in the test suite on hessian.js. No real Dubbo provider can run here:
 * Apache Dubbo is Java, not in Debian, and Maven Central is unreachable from the build machines, and
 * every Dubbo package on npm is consumer-only. This one speaks the same wire format as a Java provider
 * (16-byte header, Hessian2 request body of dubbo version, path, version, method, parameter types,
 * arguments, attachments; responses with a response type) for whatever the tests call:
 *
 * - `fail`: throws, i.e. answers an exception response (type 0) with a java.lang.RuntimeException.
 * - `echo`: answers its first argument.
 * - `sha256`: answers the SHA-256 of the raw Hessian bytes of its first argument, as received.
 * - `withAttachments`: answers its tag with response attachments (type 4, `x-provider: <tag>`).
 * - `big`: answers a string of as many `x` as its first argument says.
 * - `slow`: never answers.
 * - any other method: answers the provider's tag.
 *
 * Heartbeats are answered as Dubbo answers them. Every call and every heartbeat id is recorded. A
 * connection its client half-closes is closed once the replies to what it received are written.
 * {@link HessianProvider.shutDownGracefully} shuts down as a Dubbo provider does. A
 * request whose body it cannot decode is answered as a Java provider answers one (Dubbo marks the
 * request broken and replies BAD_REQUEST, keeping the connection) and counted in `brokenRequests`.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import {
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  FrameReader,
  ResponseType,
  STATUS_BAD_REQUEST,
  decodeRequestBody,
  heartbeatReplyFrame,
  javaException,
  readOnlyEventFrame,
  readHeader,
  responseFrame,
  type DecodedRequest,
  type DubboRequestId,
} from './dubbo-wire.js';

/** One call as the provider received it. */
export interface ProviderCall extends DecodedRequest {
  readonly requestId: DubboRequestId;
  /** The whole request frame as received. */
  readonly frame: Buffer;
}

export interface ProviderOptions {
  /** Names this provider in replies, e.g. `v1`. */
  readonly tag: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Answer after a random delay of up to this many ms, so replies overtake each other. Default 0. */
  readonly jitterMs?: number;
}

/** A client connection and the replies it is owed. */
interface Connection {
  readonly socket: net.Socket;
  /** Two-way requests received and not answered yet (`slow` ones are never answered). */
  owed: number;
  /** The client has closed its side: close ours once nothing is owed. */
  peerEnded: boolean;
}

export class HessianProvider {
  readonly tag: string;
  readonly calls: ProviderCall[] = [];
  /** Request ids of the heartbeats received. */
  readonly heartbeatIds: DubboRequestId[] = [];
  /** Whether a graceful shutdown has begun (read-only events sent, no new connection taken). */
  shuttingDown = false;
  /** Requests whose body could not be decoded. */
  brokenRequests = 0;
  host = '';
  port = 0;
  private readonly connections = new Set<Connection>();
  private readonly server: net.Server;
  private readonly jitterMs: number;
  /** Ids of the requests the provider sends itself (read-only events), as a Dubbo provider counts. */
  private nextEventId = 0;

  /** @internal Use startProvider. */
  constructor(options: ProviderOptions) {
    this.tag = options.tag;
    this.jitterMs = options.jitterMs ?? 0;
    this.server = net.createServer({ allowHalfOpen: true }, socket => this.serve(socket));
  }

  /** Client connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Calls of `method`. */
  callsOf(method: string): ProviderCall[] {
    return this.calls.filter(call => call.method === method);
  }

  /** @internal */
  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, resolve);
    });
    const address = this.server.address() as net.AddressInfo;
    this.host = host;
    this.port = address.port;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  /**
   * Shuts down the way a Dubbo provider does (`HeaderExchangeServer.close(timeout)`): takes no new
   * connection (the port is closed, so a new one is refused), sends the read-only event on every
   * connection, keeps answering whatever arrives on them (a request its client sent before the
   * event reached it included), and closes each connection once its client has closed it and the
   * replies it is owed are written. Connections still open after `timeoutMs` (Dubbo waits up to
   * `dubbo.service.shutdown.wait`, 10 s by default) are closed anyway. Resolves when all are closed.
   */
  async shutDownGracefully(timeoutMs = 10000): Promise<void> {
    this.shuttingDown = true;
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()));
    for (const { socket } of this.connections) socket.write(readOnlyEventFrame(++this.nextEventId));
    const timer = setTimeout(() => {
      for (const { socket } of this.connections) socket.destroy();
    }, timeoutMs);
    try {
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }

  private serve(socket: net.Socket): void {
    const connection: Connection = { socket, owed: 0, peerEnded: false };
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    socket.on('error', () => {});
    socket.on('end', () => {
      connection.peerEnded = true;
      if (connection.owed === 0) socket.end();
    });
    const reader = new FrameReader();
    socket.on('data', chunk => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) this.onFrame(connection, frame);
    });
  }

  private onFrame(connection: Connection, frame: Buffer): void {
    const socket = connection.socket;
    const header = readHeader(frame);
    if ((header.flags & FLAG_REQUEST) === 0) return;
    if ((header.flags & FLAG_EVENT) !== 0) {
      this.heartbeatIds.push(header.requestId);
      if ((header.flags & FLAG_TWO_WAY) !== 0) socket.write(heartbeatReplyFrame(header.requestId));
      return;
    }
    let request: DecodedRequest;
    try {
      request = decodeRequestBody(frame.subarray(16));
    } catch (error) {
      this.brokenRequests++;
      if ((header.flags & FLAG_TWO_WAY) !== 0) {
        socket.write(
          responseFrame({
            requestId: header.requestId,
            status: STATUS_BAD_REQUEST,
            errorMessage: String(error),
          }),
        );
      }
      return;
    }
    this.calls.push({ ...request, requestId: header.requestId, frame: Buffer.from(frame) });
    if ((header.flags & FLAG_TWO_WAY) === 0 || request.method === 'slow') return;
    const reply = this.answer(header.requestId, request);
    connection.owed++;
    const delay = this.jitterMs > 0 ? Math.floor(Math.random() * this.jitterMs) : 0;
    if (delay === 0) this.reply(connection, reply);
    else setTimeout(() => this.reply(connection, reply), delay);
  }

  private reply(connection: Connection, reply: Buffer): void {
    connection.owed--;
    if (connection.socket.destroyed) return;
    connection.socket.write(reply);
    if (connection.peerEnded && connection.owed === 0) connection.socket.end();
  }

  private answer(requestId: DubboRequestId, request: DecodedRequest): Buffer {
    switch (request.method) {
      case 'fail':
        return responseFrame({
          requestId,
          type: ResponseType.exception,
          value: javaException(`boom from ${this.tag}`),
        });
      case 'echo':
        return responseFrame({ requestId, value: request.args[0] ?? null });
      case 'sha256':
        return responseFrame({
          requestId,
          value: createHash('sha256')
            .update(request.rawArgs[0] ?? Buffer.alloc(0))
            .digest('hex'),
        });
      case 'withAttachments':
        return responseFrame({ requestId, value: this.tag, attachments: { 'x-provider': this.tag } });
      case 'big':
        return responseFrame({ requestId, value: 'x'.repeat(Number(request.args[0] ?? 0)) });
      default:
        return responseFrame({ requestId, value: this.tag });
    }
  }
}

/** Starts a provider (on a free port unless `options.port` is given). */
export async function startProvider(options: ProviderOptions): Promise<HessianProvider> {
  const provider = new HessianProvider(options);
  await provider.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return provider;
}
