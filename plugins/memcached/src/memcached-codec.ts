/**
 * The memcached binary codec (grammar in wire.ts). One instance per connection and side: a
 * downstream instance decodes requests (magic 0x80) and writes the responses back; an upstream
 * instance encodes requests for a server and decodes its responses (magic 0x81).
 *
 * Quiet commands: the proxy counts on every request getting one reply, and a quiet command gets one
 * only on failure (a quiet get: only on a hit). So the upstream instance sends each quiet command as
 * its answering twin (SETQ as SET, GETQ as GET), remembers it by the request id it was sent with,
 * and turns the server's reply back: the outcome the quiet command keeps silent (success; a miss
 * for the gets) completes the request with no bytes for the client, anything else goes back under
 * the quiet opcode. The client sees exactly what a memcached server would have sent it. This needs
 * the request ids the proxy gives requests on shared upstream connections (ApplicationProtocol
 * `multiplexing`, on by default).
 */
import {
  CodecError,
  createMessage,
  ErrorCodes,
  malformed,
  Metadata,
  type ByteQueue,
  type Codec,
  type CodecSide,
  type EncodeOptions,
  type LocalReply,
  type LocalReplyKind,
  type Message,
} from 'aeraki/codec';
import {
  COMMAND_NAMES,
  HEADER_SIZE,
  isAnsweredLocally,
  isOutcomeStatus,
  isQuietGet,
  LOUD_TWIN,
  OFFSET_BODY_LENGTH,
  OFFSET_EXTRAS_LENGTH,
  OFFSET_KEY_LENGTH,
  OFFSET_OPAQUE,
  OFFSET_OPCODE,
  OFFSET_STATUS,
  Opcode,
  REQUEST_MAGIC,
  RESPONSE_MAGIC,
  Status,
} from './wire.js';

const EMPTY = Buffer.alloc(0);

/** The codec's settings (ApplicationProtocol codec config). */
export interface MemcachedCodecConfig {
  /** Largest packet accepted, header included (default 8 MiB: memcached's items are 1 MiB by default). */
  readonly maxPacketSize: number;
}

export const DEFAULT_MAX_PACKET_SIZE = 8 * 1024 * 1024;

/** The status of a local reply of each kind, in memcached's own terms. */
const LOCAL_REPLY_STATUS: Record<LocalReplyKind, number> = {
  'no-route': Status.INTERNAL_ERROR,
  'no-cluster': Status.INTERNAL_ERROR,
  'no-healthy-upstream': Status.TEMPORARY_FAILURE,
  'connect-failure': Status.TEMPORARY_FAILURE,
  'upstream-reset': Status.TEMPORARY_FAILURE,
  timeout: Status.TEMPORARY_FAILURE,
  'over-limit': Status.BUSY,
  'bad-request': Status.INVALID_ARGUMENTS,
  'bad-response': Status.INTERNAL_ERROR,
  internal: Status.INTERNAL_ERROR,
};

export class MemcachedCodec implements Codec {
  /** Upstream: quiet commands sent as their twin, by the request id they were sent with. */
  private readonly quiet = new Map<number, number>();
  /** Upstream: ids of the NOOP probes this connection sent. */
  private readonly probes = new Set<number>();

  constructor(
    private readonly side: CodecSide,
    private readonly config: MemcachedCodecConfig,
  ) {}

  decode(input: ByteQueue): Message | undefined {
    if (input.length < HEADER_SIZE) return undefined;
    const magic = input.u8(0);
    const expected = this.side === 'downstream' ? REQUEST_MAGIC : RESPONSE_MAGIC;
    if (magic !== expected) {
      throw malformed(
        `magic 0x${magic.toString(16)} where a ${this.side === 'downstream' ? 'request' : 'response'} (0x${expected.toString(16)}) belongs`,
      );
    }
    const size = HEADER_SIZE + input.u32(OFFSET_BODY_LENGTH);
    if (size > this.config.maxPacketSize) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `packet of ${size} bytes over the limit of ${this.config.maxPacketSize}`,
      );
    }
    if (input.u8(OFFSET_EXTRAS_LENGTH) + input.u16(OFFSET_KEY_LENGTH) > size - HEADER_SIZE) {
      throw malformed('extras and key longer than the body');
    }
    if (input.length < size) return undefined;
    const bytes = input.take(size);
    return this.side === 'downstream' ? this.request(bytes) : this.response(bytes);
  }

  private request(bytes: Buffer): Message {
    const opcode = bytes[OFFSET_OPCODE]!;
    const command = COMMAND_NAMES[opcode] ?? `0x${opcode.toString(16).padStart(2, '0')}`;
    const metadata = new Metadata();
    metadata.set('command', command);
    const keyLength = bytes.readUInt16BE(OFFSET_KEY_LENGTH);
    if (keyLength > 0) {
      const keyStart = HEADER_SIZE + bytes[OFFSET_EXTRAS_LENGTH]!;
      metadata.set('key', bytes.toString('utf8', keyStart, keyStart + keyLength));
    }
    const type = isAnsweredLocally(opcode) ? 'heartbeat' : 'request';
    return createMessage(type, bytes.readUInt32BE(OFFSET_OPAQUE), bytes, metadata, opcode, 'ok', command);
  }

  private response(bytes: Buffer): Message {
    const id = bytes.readUInt32BE(OFFSET_OPAQUE);
    const status = bytes.readUInt16BE(OFFSET_STATUS);
    const metadata = new Metadata();
    if (this.probes.delete(id)) return createMessage('heartbeat-reply', id, bytes, metadata, undefined);
    let out = bytes;
    if (this.quiet.size > 0) {
      const quietOpcode = this.quiet.get(id);
      if (quietOpcode !== undefined) {
        this.quiet.delete(id);
        const silent = isQuietGet(quietOpcode) ? status === Status.KEY_NOT_FOUND : status === Status.NO_ERROR;
        if (silent) out = EMPTY;
        else bytes[OFFSET_OPCODE] = quietOpcode;
      }
    }
    return createMessage('response', id, out, metadata, undefined, isOutcomeStatus(status) ? 'ok' : 'error');
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    const bytes = message.bytes;
    const id = options?.requestId;
    // A quiet command's silent outcome has no bytes; nothing to write an id into.
    if (id === undefined || bytes.length === 0) return bytes;
    if (typeof id !== 'number' || id < 0 || id > 0xffffffff) {
      throw new CodecError(
        ErrorCodes.CODEC_UNSUPPORTED,
        `request id ${id} does not fit memcached's 32-bit opaque`,
      );
    }
    bytes.writeUInt32BE(id, OFFSET_OPAQUE);
    if (this.side === 'upstream' && message.type === 'request') {
      const opcode = message.codecState as number;
      const loud = LOUD_TWIN[opcode]!;
      if (loud !== 0xff) {
        bytes[OFFSET_OPCODE] = loud;
        this.quiet.set(id, opcode);
      } else if (this.quiet.size > 0) {
        // The id was reused for an answering command: an older quiet entry for it is stale.
        this.quiet.delete(id);
      }
    }
    return bytes;
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    const opcode = request === undefined ? Opcode.NOOP : request.bytes[OFFSET_OPCODE]!;
    const id = request === undefined ? 0 : (request.requestId as number);
    return responsePacket(opcode, LOCAL_REPLY_STATUS[reply.kind], id, reply.message);
  }

  /** The proxy's own answer to the commands it does not forward (see isAnsweredLocally). */
  encodeHeartbeatReply(request: Message): Buffer {
    const opcode = request.bytes[OFFSET_OPCODE]!;
    const id = request.requestId as number;
    if (opcode === Opcode.QUITQ) return EMPTY;
    if (opcode === Opcode.QUIT) return responsePacket(opcode, Status.NO_ERROR, id, '');
    return responsePacket(
      opcode,
      Status.NOT_SUPPORTED,
      id,
      `aeraki: ${COMMAND_NAMES[opcode]} is not proxied`,
    );
  }

  /** A NOOP, which every memcached answers: the proxy's keep-alive probe on idle upstream connections. */
  encodeHeartbeat(requestId: number): Buffer {
    this.probes.add(requestId);
    const packet = Buffer.alloc(HEADER_SIZE);
    packet[0] = REQUEST_MAGIC;
    packet[OFFSET_OPCODE] = Opcode.NOOP;
    packet.writeUInt32BE(requestId, OFFSET_OPAQUE);
    return packet;
  }
}

/** A response packet with no extras and no key, whose value is `text`. */
function responsePacket(opcode: number, status: number, opaque: number, text: string): Buffer {
  const value = Buffer.from(text, 'utf8');
  const packet = Buffer.alloc(HEADER_SIZE + value.length);
  packet[0] = RESPONSE_MAGIC;
  packet[OFFSET_OPCODE] = opcode;
  packet.writeUInt16BE(status, OFFSET_STATUS);
  packet.writeUInt32BE(value.length, OFFSET_BODY_LENGTH);
  packet.writeUInt32BE(opaque, OFFSET_OPAQUE);
  value.copy(packet, HEADER_SIZE);
  return packet;
}
