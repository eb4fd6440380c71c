/**
 * The codec a compiled description (compile.ts) runs as.
 *
 * Wire grammar: frame = header-fields … ; the description's fields sit at fixed offsets from the
 * frame's start; the frame's length is its length field's value plus `length.adjust`; the rest of
 * the frame is passed through untouched, apart from the key-value section when a mutation is written.
 *
 * decode: waits for the bytes of the magic and length fields, refuses a wrong magic or a length
 * outside [fields' extent, max] at once, waits for the whole frame, takes it, and reads its type
 * (first matching rule), request id, response status, metadata and header entries from it.
 */
import {
  CodecError,
  createMessage,
  ErrorCodes,
  malformed,
  Metadata,
  type ByteQueue,
  type Codec,
  type EncodeOptions,
  type LocalReply,
  type Message,
  type MessageType,
  type ResponseStatus,
} from '../../codec/index.js';
import type { CompiledProtocol, MetadataReader } from './compile.js';
import type { SectionSpan } from './header-section.js';

export class DeclarativeCodec implements Codec {
  /** Present when the description has a heartbeat probe. */
  readonly encodeHeartbeat?: (requestId: number) => Buffer;

  constructor(private readonly p: CompiledProtocol) {
    const probe = p.heartbeatProbe;
    if (probe !== undefined) this.encodeHeartbeat = id => probe.build(undefined, id, undefined, '');
  }

  decode(input: ByteQueue): Message | undefined {
    const p = this.p;
    if (input.length < p.peekBytes) return undefined;
    const magic = p.magicField;
    if (magic !== undefined) {
      const byte = p.magicByte;
      const ok =
        byte !== undefined
          ? byte[input.u8(magic.offset)] === 1
          : p.magicValues.includes(magic.readQueued(input));
      if (!ok) throw malformed(`bad magic ${magic.readQueued(input)} in field '${magic.name}'`);
    }
    const length = p.lengthField.readQueued(input) + p.lengthAdjust;
    if (length > p.maxFrame) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `frame of ${length} bytes over the limit of ${p.maxFrame}`,
      );
    }
    if (length < p.minFrame)
      throw malformed(`frame of ${length} bytes shorter than its header (${p.minFrame})`);
    if (input.length < length) return undefined;
    return this.message(input.take(length));
  }

  private message(frame: Buffer): Message {
    const p = this.p;
    const type = this.typeOf(frame);
    const requestId = p.idField === undefined ? 0 : p.idField.readId(frame);
    let status: ResponseStatus = 'ok';
    if (type === 'error') status = 'error';
    else if (
      type === 'response' &&
      p.statusField !== undefined &&
      !p.okStatuses.includes(p.statusField.read(frame))
    ) {
      status = 'error';
    }
    const metadata = new Metadata();
    const readers = p.metadata;
    let operation = '';
    for (let i = 0; i < readers.length; i++) {
      const value = readAttribute(readers[i]!, frame, metadata);
      if (i === p.operationIndex && value !== undefined) operation = value;
    }
    const span = p.headers === undefined ? undefined : p.headers.read(frame, metadata);
    // An operation named after a header entry is known only once the headers are read.
    if (p.operation !== undefined && p.operationIndex < 0) operation = metadata.get(p.operation) ?? '';
    return createMessage(type, requestId, frame, metadata, span, status, operation);
  }

  private typeOf(frame: Buffer): MessageType {
    const table = this.p.typeTable;
    if (table !== undefined) {
      const type = table.types[frame[table.field.offset]!];
      if (type === undefined) throw malformed('no messageType rule matches the frame');
      return type;
    }
    const rules = this.p.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const conditions = rule.conditions;
      let holds = true;
      for (let c = 0; c < conditions.length && holds; c++) {
        const condition = conditions[c]!;
        const value = condition.field.read(frame);
        holds = (condition.mask < 0 ? value : (value & condition.mask) >>> 0) === condition.equals;
      }
      if (holds) return rule.type;
    }
    throw malformed('no messageType rule matches the frame');
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    let bytes = message.bytes;
    if (options === undefined) return bytes;
    const p = this.p;
    const mutation = options.mutation;
    if (mutation !== undefined && mutation.size > 0 && p.headers !== undefined) {
      bytes = p.headers.rewrite(bytes, message.codecState as SectionSpan, mutation);
    }
    const id = options.requestId;
    if (id !== undefined && p.idField !== undefined) {
      if (!p.idField.fits(id)) {
        throw new CodecError(
          ErrorCodes.CODEC_UNSUPPORTED,
          `request id ${id} does not fit the ${p.idField.size}-byte field '${p.idField.name}'`,
        );
      }
      p.idField.write(bytes, id);
    }
    return bytes;
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    const template = this.p.localReply;
    if (template === undefined || request?.type === 'oneway') return undefined;
    return template.build(request?.bytes, request?.requestId, reply.kind, reply.message);
  }

  encodeHeartbeatReply(heartbeat: Message): Buffer {
    const template = this.p.heartbeatReply;
    if (template === undefined)
      throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, 'the description has no heartbeat reply');
    return template.build(heartbeat.bytes, heartbeat.requestId, undefined, '');
  }
}

/** Reads one metadata attribute of `frame` into `metadata` and returns it; an empty string is not set. */
function readAttribute(reader: MetadataReader, frame: Buffer, metadata: Metadata): string | undefined {
  if (reader.kind === 'field') {
    const number = reader.field.read(frame);
    const value = reader.values?.[number] ?? String(number);
    metadata.set(reader.name, value);
    return value;
  }
  const at = reader.at.evaluate(frame);
  let start: number;
  let length: number;
  if (reader.kind === 'string') {
    start = at;
    length = reader.length.evaluate(frame);
  } else {
    start = at + reader.prefix;
    if (at < 0 || start > frame.length) throw malformed(`'${reader.name}' length at ${at} outside the frame`);
    length =
      reader.prefix === 1
        ? frame[at]!
        : reader.prefix === 2
          ? reader.little
            ? frame.readUInt16LE(at)
            : frame.readUInt16BE(at)
          : reader.little
            ? frame.readUInt32LE(at)
            : frame.readUInt32BE(at);
  }
  if (length === 0) return undefined;
  if (start < 0 || length < 0 || start + length > frame.length) {
    throw malformed(`'${reader.name}' (${length} bytes at ${start}) outside the frame of ${frame.length}`);
  }
  const value = frame.toString(reader.encoding, start, start + length);
  metadata.set(reader.name, value);
  return value;
}
