/**
 * A tiny protocol made for the proxy's own tests, so that pools, timeouts and routing can be checked
 * byte-exactly without a real RPC stack. It is a complete codec (it follows the SDK contract), not a
 * mock of any real peer.
 *
 * Wire grammar:
 *   frame   = length:u32be body            ; length counts the body
 *   body    = type:u8 id:u32be count:u8 header{count} payload
 *   header  = klen:u8 key:klen vlen:u8 value:vlen
 *   type    = 1 request | 2 response | 3 oneway | 4 error | 5 heartbeat | 6 heartbeat-reply | 7 goaway
 *   payload = the remaining bytes
 */
import {
  type ByteQueue,
  CodecError,
  ErrorCodes,
  Metadata,
  createMessage,
  malformed,
  type Codec,
  type CodecFactory,
  type EncodeOptions,
  type LocalReply,
  type Message,
  type MessageType,
} from '../../../src/codec/index.js';

const TYPES: MessageType[] = [
  'request',
  'response',
  'oneway',
  'error',
  'heartbeat',
  'heartbeat-reply',
  'goaway',
];

export interface ToyFrame {
  type: MessageType;
  id: number;
  headers?: Record<string, string>;
  payload?: string;
}

export function encodeToy(frame: ToyFrame): Buffer {
  const parts: Buffer[] = [];
  const headers = Object.entries(frame.headers ?? {});
  const head = Buffer.alloc(6);
  head[0] = TYPES.indexOf(frame.type) + 1;
  head.writeUInt32BE(frame.id >>> 0, 1);
  head[5] = headers.length;
  parts.push(head);
  for (const [k, v] of headers) {
    const kb = Buffer.from(k);
    const vb = Buffer.from(v);
    parts.push(Buffer.from([kb.length]), kb, Buffer.from([vb.length]), vb);
  }
  parts.push(Buffer.from(frame.payload ?? ''));
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function decodeToy(bytes: Buffer): ToyFrame & { headers: Record<string, string>; payload: string } {
  const type = TYPES[bytes[4]! - 1]!;
  const id = bytes.readUInt32BE(5);
  const count = bytes[9]!;
  let at = 10;
  const headers: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const kl = bytes[at]!;
    const k = bytes.subarray(at + 1, at + 1 + kl).toString();
    at += 1 + kl;
    const vl = bytes[at]!;
    headers[k] = bytes.subarray(at + 1, at + 1 + vl).toString();
    at += 1 + vl;
  }
  return { type, id, headers, payload: bytes.subarray(at).toString() };
}

class ToyCodec implements Codec {
  decode(input: ByteQueue): Message | undefined {
    if (input.length < 4) return undefined;
    const length = input.u32(0);
    if (length < 6 || length > 1 << 20)
      throw new CodecError(ErrorCodes.CODEC_MALFORMED, `bad toy length ${length}`);
    if (input.length < 4 + length) return undefined;
    const typeByte = input.u8(4);
    const type = TYPES[typeByte - 1];
    if (type === undefined) throw malformed(`bad toy type ${typeByte}`);
    const bytes = input.take(4 + length);
    const frame = decodeToy(bytes);
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(frame.headers)) metadata.set(k, v);
    return createMessage(type, frame.id, bytes, metadata, undefined, type === 'error' ? 'error' : 'ok');
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    if (options?.mutation === undefined && options?.requestId === undefined) return message.bytes;
    const frame = decodeToy(message.bytes);
    for (const [k, v] of options.mutation ?? []) frame.headers[k] = v;
    if (options.requestId !== undefined) frame.id = Number(options.requestId);
    return encodeToy(frame);
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    return encodeToy({
      type: 'error',
      id: Number(request?.requestId ?? 0),
      headers: { kind: reply.kind },
      payload: reply.message,
    });
  }

  encodeHeartbeatReply(heartbeat: Message): Buffer {
    return encodeToy({ type: 'heartbeat-reply', id: Number(heartbeat.requestId) });
  }

  encodeHeartbeat(requestId: number): Buffer {
    return encodeToy({ type: 'heartbeat', id: requestId });
  }
}

export const toyCodecFactory: CodecFactory = {
  name: 'aeraki.meta_protocol.codec.toy',
  capabilities: { requestIds: true, heartbeats: true, streaming: false, serverSpeaksFirst: false },
  create: () => new ToyCodec(),
};
