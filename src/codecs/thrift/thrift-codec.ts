/**
 * The Thrift codec: one instance per connection side. Decodes one message at a time from
 *
 *   framed   := size:i32 message                         (size <= maxFrameSize)
 *   unframed := message                                  (its end found by skipping its struct)
 *   THeader  := size:i32 0x0FFF … header-block message    (see theader-reader.ts)
 *   message  := strict binary or compact envelope + struct (see *-message-header.ts)
 *
 * reading only the envelope (type, name, seqid), the THeader block, and for a REPLY the first field
 * header of its result; the payload is passed through as the original bytes.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import type { Codec, EncodeOptions, LocalReply } from '../../codec/codec.js';
import { createMessage } from '../../codec/message.js';
import type { Message, MessageType } from '../../codec/message.js';
import { malformed } from '../../errors.js';
import { encodeApplicationException } from './application-exception-writer.js';
import { readBinaryMessageHeader } from './binary-message-header.js';
import type { ThriftCodecConfig } from './codec-config.js';
import { readCompactMessageHeader } from './compact-message-header.js';
import { applicationExceptionType } from './local-reply-type.js';
import { ThriftMessageHeader } from './message-header.js';
import { thriftMetadata, thriftOperation } from './message-metadata.js';
import { rewriteThriftMessage } from './message-rewriter.js';
import { ThriftMessageState } from './message-state.js';
import { replyStatus } from './reply-status.js';
import { NEED_MORE, StructSkipper } from './struct-skipper.js';
import type { THeaderFields } from './theader-fields.js';
import { readTHeader } from './theader-reader.js';
import {
  DETECT_FRAMED_BINARY,
  DETECT_FRAMED_COMPACT,
  DETECT_NEED_MORE,
  DETECT_THEADER,
  DETECT_UNFRAMED_BINARY,
  detectWireFormat,
} from './wire-format-detection.js';
import {
  MESSAGE_CALL,
  MESSAGE_EXCEPTION,
  MESSAGE_ONEWAY,
  THEADER_PROTOCOL_BINARY,
} from './wire-constants.js';
import type { ThriftProtocol, ThriftTransport } from './wire-format.js';

function messageTypeOf(thriftType: number): MessageType {
  switch (thriftType) {
    case MESSAGE_CALL:
      return 'request';
    case MESSAGE_ONEWAY:
      return 'oneway';
    case MESSAGE_EXCEPTION:
      return 'error';
    default:
      return 'response';
  }
}

/**
 * Decodes and encodes Thrift messages of any transport (framed, unframed, THeader) and protocol
 * (strict binary, compact), detected on each message. Request ids are seqids, exposed as uint32 and
 * written back as the same 32-bit pattern. See the factory (`thriftCodecFactory`) for the metadata.
 */
export class ThriftCodec implements Codec {
  private readonly header = new ThriftMessageHeader();
  private readonly skipper: StructSkipper;
  /** The queue, and its `consumed` count, of an unframed message whose struct walk is in progress. */
  private skipQueue: ByteQueue | undefined;
  private skipConsumed = 0;
  /** How the first message of the connection travelled: the format of replies to undecodable input. */
  private connectionTransport: ThriftTransport | undefined;
  private connectionProtocol: ThriftProtocol = 'binary';

  constructor(private readonly config: ThriftCodecConfig) {
    this.skipper = new StructSkipper(config.maxDepth);
  }

  decode(input: ByteQueue): Message | undefined {
    const format = detectWireFormat(input, this.config.maxFrameSize);
    switch (format) {
      case DETECT_NEED_MORE:
        return undefined;
      case DETECT_THEADER:
        this.connectionTransport ??= 'header';
        return this.decodeTHeader(input);
      case DETECT_FRAMED_BINARY:
      case DETECT_FRAMED_COMPACT: {
        const protocol = format === DETECT_FRAMED_BINARY ? 'binary' : 'compact';
        this.remember('framed', protocol);
        return this.decodeFramed(input, protocol);
      }
      default: {
        const protocol = format === DETECT_UNFRAMED_BINARY ? 'binary' : 'compact';
        this.remember('unframed', protocol);
        return this.decodeUnframed(input, protocol);
      }
    }
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    const state = message.codecState;
    if (options === undefined || !(state instanceof ThriftMessageState)) return message.bytes;
    if (options.requestId === undefined && (options.mutation === undefined || options.mutation.size === 0)) {
      return message.bytes;
    }
    return rewriteThriftMessage(message.bytes, state, options);
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    if (request?.type === 'oneway') return undefined;
    const state = request?.codecState instanceof ThriftMessageState ? request.codecState : undefined;
    const type = applicationExceptionType(reply.kind);
    if (state !== undefined) {
      return encodeApplicationException(
        state.transport,
        state.protocol,
        state.theader?.flags ?? 0,
        state.name,
        Number(request!.requestId),
        reply.message,
        type,
      );
    }
    return encodeApplicationException(
      this.connectionTransport ?? 'framed',
      this.connectionProtocol,
      0,
      '',
      Number(request?.requestId ?? 0),
      reply.message,
      type,
    );
  }

  private remember(transport: ThriftTransport, protocol: ThriftProtocol): void {
    if (this.connectionTransport !== undefined) return;
    this.connectionTransport = transport;
    this.connectionProtocol = protocol;
  }

  private decodeFramed(input: ByteQueue, protocol: ThriftProtocol): Message | undefined {
    const frameEnd = 4 + input.i32(0);
    if (input.length < frameEnd) return undefined;
    this.readEnvelope(input, protocol, 4, frameEnd);
    return this.finish(input, 'framed', protocol, 4, frameEnd, undefined);
  }

  private decodeTHeader(input: ByteQueue): Message | undefined {
    const frameEnd = 4 + input.i32(0);
    if (input.length < frameEnd) return undefined;
    const theader = readTHeader(input, frameEnd);
    const protocol = theader.protocolId === THEADER_PROTOCOL_BINARY ? 'binary' : 'compact';
    if (this.connectionTransport === 'header') this.connectionProtocol = protocol;
    this.readEnvelope(input, protocol, theader.payloadOffset, frameEnd);
    return this.finish(input, 'header', protocol, theader.payloadOffset, frameEnd, theader);
  }

  /** Reads the envelope of a message that must fit between `start` and `end` (all arrived). */
  private readEnvelope(input: ByteQueue, protocol: ThriftProtocol, start: number, end: number): void {
    const whole =
      protocol === 'binary'
        ? readBinaryMessageHeader(input, start, end, end, this.header)
        : readCompactMessageHeader(input, start, end, end, this.header);
    if (!whole || this.header.bodyOffset >= end) {
      throw malformed('thrift frame is too short for its message');
    }
  }

  private decodeUnframed(input: ByteQueue, protocol: ThriftProtocol): Message | undefined {
    const limit = this.config.maxFrameSize;
    const available = input.length;
    const whole =
      protocol === 'binary'
        ? readBinaryMessageHeader(input, 0, available, limit, this.header)
        : readCompactMessageHeader(input, 0, available, limit, this.header);
    if (!whole) return undefined;
    // Resume the struct walk only if it was started on these very bytes.
    const resuming = this.skipQueue === input && this.skipConsumed === input.consumed;
    this.skipQueue = undefined;
    if (!resuming) this.skipper.start(protocol, this.header.bodyOffset);
    const end = this.skipper.run(input, limit);
    if (end === NEED_MORE) {
      this.skipQueue = input;
      this.skipConsumed = input.consumed;
      return undefined;
    }
    return this.finish(input, 'unframed', protocol, 0, end, undefined);
  }

  /** Takes the whole message (ending at `end`) off the queue and describes it. */
  private finish(
    input: ByteQueue,
    transport: ThriftTransport,
    protocol: ThriftProtocol,
    messageOffset: number,
    end: number,
    theader: THeaderFields | undefined,
  ): Message {
    const header = this.header;
    const type = messageTypeOf(header.messageType);
    const status =
      type === 'error'
        ? 'error'
        : type === 'response'
          ? replyStatus(input, protocol, header.bodyOffset, end)
          : 'ok';
    const state = new ThriftMessageState(
      transport,
      protocol,
      header.name,
      header.messageType,
      messageOffset,
      header.seqidOffset,
      header.seqidLength,
      theader,
    );
    const bytes = input.take(end);
    return createMessage(
      type,
      header.seqid >>> 0,
      bytes,
      thriftMetadata(header.name, theader),
      state,
      status,
      thriftOperation(header.name),
    );
  }
}
