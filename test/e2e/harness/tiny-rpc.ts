/**
 * tinyrpc, a protocol that exists only for the plugin tests: its codec is a plugin module written to
 * a folder outside the checkout (importing nothing but `aeraki/codec`), and its server and client
 * here are plain Node sockets that know nothing of aeraki.
 *
 * Wire grammar (big-endian): frame = length:u32 kind:u8 id:u32 method-length:u8 method
 * header-count:u8 (key-length:u8 key value-length:u8 value)* payload; length counts the bytes after
 * itself; kind is 1 call, 2 reply, 3 error reply.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export const CALL = 1;
export const REPLY = 2;
export const ERROR_REPLY = 3;

/** One tinyrpc frame. */
export interface TinyFrame {
  readonly kind: number;
  readonly id: number;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: string;
}

export function encodeTiny(frame: TinyFrame): Buffer {
  const method = Buffer.from(frame.method);
  const headers = Object.entries(frame.headers).flatMap(([k, v]) => {
    const key = Buffer.from(k);
    const value = Buffer.from(v);
    return [Buffer.from([key.length]), key, Buffer.from([value.length]), value];
  });
  const head = Buffer.alloc(10);
  head[4] = frame.kind;
  head.writeUInt32BE(frame.id, 5);
  head[9] = method.length;
  const out = Buffer.concat([
    head,
    method,
    Buffer.from([Object.keys(frame.headers).length]),
    ...headers,
    Buffer.from(frame.payload),
  ]);
  out.writeUInt32BE(out.length - 4, 0);
  return out;
}

/** Calls `onFrame` for every whole frame that arrives on `socket`. */
export function readTinyFrames(socket: Socket, onFrame: (frame: TinyFrame) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', chunk => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const f = buffered.subarray(0, 4 + buffered.readUInt32BE(0));
      buffered = buffered.subarray(f.length);
      let at = 10 + f[9]!;
      const count = f[at++]!;
      const headers: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const key = f.subarray(at + 1, at + 1 + f[at]!).toString();
        at += 1 + f[at]!;
        headers[key] = f.subarray(at + 1, at + 1 + f[at]!).toString();
        at += 1 + f[at]!;
      }
      onFrame({
        kind: f[4]!,
        id: f.readUInt32BE(5),
        method: f.subarray(10, 10 + f[9]!).toString(),
        headers,
        payload: f.subarray(at).toString(),
      });
    }
  });
}

/** What a {@link TinyServer} puts in a reply's payload. */
export interface TinyEcho {
  readonly server: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly payload: string;
}

/**
 * A tinyrpc server: replies to every call with a JSON {@link TinyEcho}. A payload `slow:N` is
 * answered after N ms, so that replies on one connection come back out of order.
 */
export class TinyServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  calls = 0;

  constructor(readonly name: string) {
    this.server = createServer(socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      readTinyFrames(socket, call => {
        this.calls++;
        const echo: TinyEcho = {
          server: name,
          method: call.method,
          headers: call.headers,
          payload: call.payload,
        };
        const reply = encodeTiny({
          kind: REPLY,
          id: call.id,
          method: call.method,
          headers: {},
          payload: JSON.stringify(echo),
        });
        const delay = /^slow:(\d+)$/.exec(call.payload);
        if (delay === null) socket.write(reply);
        else setTimeout(() => socket.write(reply), Number(delay[1]));
      });
    });
  }

  async start(host = '127.0.0.1'): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, host, resolve));
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise(resolve => this.server.close(resolve));
  }
}

/** A tinyrpc client on one connection, which picks its own request ids. */
export class TinyClient {
  private readonly waiting = new Map<number, (frame: TinyFrame) => void>();
  readonly closed: Promise<void>;
  /** Replies in the order they arrived. */
  readonly arrivals: number[] = [];

  private constructor(private readonly socket: Socket) {
    readTinyFrames(socket, frame => {
      this.arrivals.push(frame.id);
      const resolve = this.waiting.get(frame.id);
      this.waiting.delete(frame.id);
      resolve?.(frame);
    });
    socket.on('error', () => {});
    this.closed = new Promise(resolve => socket.once('close', () => resolve()));
  }

  static async connect(host: string, port: number): Promise<TinyClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TinyClient(socket);
  }

  /** Sends a call with request id `id`; resolves with its reply. */
  call(id: number, method: string, payload = '', headers: Record<string, string> = {}): Promise<TinyFrame> {
    const reply = new Promise<TinyFrame>(resolve => this.waiting.set(id, resolve));
    this.socket.write(encodeTiny({ kind: CALL, id, method, headers, payload }));
    return reply;
  }

  /** Writes raw bytes (for input the codec refuses). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * The tinyrpc codec as a plugin module's source: `aeraki.meta_protocol.codec.tinyrpc`, written only
 * against `aeraki/codec`. Metadata: `method` and every header; mutations are written as headers; a
 * call whose method is `crash` makes decode throw a TypeError (a bug in the plugin, not bad bytes).
 */
export const TINY_RPC_PLUGIN = `import { CodecError, ErrorCodes, Metadata, createMessage, malformed } from 'aeraki/codec';

function parseHeaders(bytes, at) {
  const count = bytes[at];
  const headers = [];
  let pos = at + 1;
  for (let i = 0; i < count; i++) {
    if (pos + 1 > bytes.length) throw malformed('header cut short');
    const key = bytes.toString('utf8', pos + 1, pos + 1 + bytes[pos]);
    pos += 1 + bytes[pos];
    if (pos + 1 > bytes.length) throw malformed('header cut short');
    const value = bytes.toString('utf8', pos + 1, pos + 1 + bytes[pos]);
    pos += 1 + bytes[pos];
    if (pos > bytes.length) throw malformed('header cut short');
    headers.push([key, value]);
  }
  return { headers, end: pos };
}

class TinyCodec {
  constructor(side) { this.side = side; }

  decode(input) {
    if (input.length < 4) return undefined;
    const size = 4 + input.u32(0);
    if (size < 11) throw malformed('frame shorter than its header');
    if (size > 65536) throw new CodecError(ErrorCodes.CODEC_TOO_LARGE, 'frame over 64 KiB');
    if (input.length < size) return undefined;
    const bytes = input.take(size);
    const methodEnd = 10 + bytes[9];
    if (methodEnd + 1 > size) throw malformed('method past the frame');
    const method = bytes.toString('utf8', 10, methodEnd);
    if (method === 'crash') {
      const missing = undefined;
      missing.boom();
    }
    const { headers, end } = parseHeaders(bytes, methodEnd);
    const metadata = new Metadata();
    metadata.set('method', method);
    for (const [k, v] of headers) metadata.set(k, v);
    const kind = bytes[4];
    const state = { methodEnd, headersEnd: end };
    if (this.side === 'downstream') {
      if (kind !== 1) throw malformed('clients send calls');
      return createMessage('request', bytes.readUInt32BE(5), bytes, metadata, state, 'ok', method);
    }
    if (kind !== 2 && kind !== 3) throw malformed('servers send replies');
    return createMessage(kind === 2 ? 'response' : 'error', bytes.readUInt32BE(5), bytes, metadata, state, kind === 2 ? 'ok' : 'error', method);
  }

  encode(message, options) {
    let bytes = message.bytes;
    const mutation = options?.mutation;
    if (mutation !== undefined && mutation.size > 0) {
      const { methodEnd, headersEnd } = message.codecState;
      const { headers } = parseHeaders(bytes, methodEnd);
      const merged = new Map(headers);
      for (const [k, v] of mutation) merged.set(k, v);
      const section = [Buffer.from([merged.size])];
      for (const [k, v] of merged) {
        section.push(Buffer.from([Buffer.byteLength(k)]), Buffer.from(k), Buffer.from([Buffer.byteLength(v)]), Buffer.from(v));
      }
      bytes = Buffer.concat([bytes.subarray(0, methodEnd), ...section, bytes.subarray(headersEnd)]);
      bytes.writeUInt32BE(bytes.length - 4, 0);
    }
    if (options?.requestId !== undefined) bytes.writeUInt32BE(Number(options.requestId), 5);
    return bytes;
  }

  encodeLocalReply(request, reply) {
    const method = Buffer.from(request?.metadata.get('method') ?? '');
    const text = Buffer.from(reply.kind + ': ' + reply.message);
    const out = Buffer.alloc(11 + method.length + text.length);
    out.writeUInt32BE(out.length - 4, 0);
    out[4] = 3;
    out.writeUInt32BE(Number(request?.requestId ?? 0), 5);
    out[9] = method.length;
    method.copy(out, 10);
    out[10 + method.length] = 0;
    text.copy(out, 11 + method.length);
    return out;
  }
}

export default {
  sdkVersion: '^1.0.0',
  codecs: [
    {
      name: 'aeraki.meta_protocol.codec.tinyrpc',
      capabilities: { requestIds: true, heartbeats: false, streaming: false, serverSpeaksFirst: false },
      create: side => new TinyCodec(side),
    },
  ],
};
`;
