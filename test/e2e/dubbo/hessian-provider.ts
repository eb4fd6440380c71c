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
 * - `slow`: never answers.
 * - any other method: answers the provider's tag.
 *
 * Heartbeats are answered as Dubbo answers them. Every call and every heartbeat id is recorded. A
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
  readHeader,
  responseFrame,
  type DecodedRequest,
} from './dubbo-wire.js';

/** One call as the provider received it. */
export interface ProviderCall extends DecodedRequest {
  readonly requestId: number;
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

export class HessianProvider {
  readonly tag: string;
  readonly calls: ProviderCall[] = [];
  /** Request ids of the heartbeats received. */
  readonly heartbeatIds: number[] = [];
  /** Requests whose body could not be decoded. */
  brokenRequests = 0;
  host = '';
  port = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private readonly jitterMs: number;

  /** @internal Use startProvider. */
  constructor(options: ProviderOptions) {
    this.tag = options.tag;
    this.jitterMs = options.jitterMs ?? 0;
    this.server = net.createServer(socket => this.serve(socket));
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
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const reader = new FrameReader();
    socket.on('data', chunk => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) this.onFrame(socket, frame);
    });
  }

  private onFrame(socket: net.Socket, frame: Buffer): void {
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
    const delay = this.jitterMs > 0 ? Math.floor(Math.random() * this.jitterMs) : 0;
    if (delay === 0) socket.write(reply);
    else setTimeout(() => socket.write(reply), delay);
  }

  private answer(requestId: number, request: DecodedRequest): Buffer {
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
