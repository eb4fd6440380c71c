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
import type { Codec, CodecSide, EncodeOptions, LocalReply } from '../../codec/codec.js';
import { createMessage } from '../../codec/message.js';
import type { Message, MessageType } from '../../codec/message.js';
import { malformed } from '../../errors.js';
import { encodeApplicationException } from './application-exception-writer.js';
import { readBinaryMessageHeader } from './binary-message-header.js';
import type { ThriftCodecConfig } from './codec-config.js';
import { readCompactMessageHeader } from './compact-message-header.js';
import { applicationExceptionType } from './local-reply-type.js';
import { ThriftMessageHeader } from './message-header.js';
import { multiplexSeparator, thriftMetadata, thriftOperation } from './message-metadata.js';
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
 * A client sends calls: a REPLY or EXCEPTION from one would belong to no request, so it is refused
 * (and answered) rather than dropped while its sender waits.
 */
function checkRequestType(thriftType: number): void {
  if (thriftType === MESSAGE_CALL || thriftType === MESSAGE_ONEWAY) return;
  const name = thriftType === MESSAGE_EXCEPTION ? 'EXCEPTION' : 'REPLY';
  throw malformed(`thrift client sent a ${name} message; a request is a CALL or ONEWAY`);
}

/** Nothing in progress: the next decode starts at a message's first byte. */
const STAGE_NONE = 0;
/** The message's framing is read (and its THeader block); its envelope has not arrived whole. */
const STAGE_ENVELOPE = 1;
/** The envelope is read (into `header`); the walk over its struct is in progress. */
const STAGE_WALK = 2;

/**
 * Decodes and encodes Thrift messages of any transport (framed, unframed, THeader) and protocol
 * (strict binary, compact), detected on each message. Request ids are seqids, exposed as uint32 and
 * written back as the same 32-bit pattern. See the factory (`thriftCodecFactory`) for the metadata.
 *
 * Messages from clients are checked whole before they are decoded (unless `validateRequests` is
 * off): the struct is walked as its bytes arrive, a chunk at a time, and must end exactly at its
 * frame's end. Messages from servers are only framed (their structs are walked on the unframed
 * transport, where that is how their end is found).
 */
export class ThriftCodec implements Codec {
  private readonly header = new ThriftMessageHeader();
  private readonly skipper: StructSkipper;
  /** Whether framed and THeader messages are walked before they are decoded. */
  private readonly validating: boolean;
  /**
   * The message at the front of `progressQueue` whose decoding is under way (see the STAGE_*
   * constants); valid while the queue's `consumed` count is still `progressConsumed`.
   */
  private stage = STAGE_NONE;
  private progressQueue: ByteQueue | undefined;
  private progressConsumed = 0;
  private progressTransport: ThriftTransport = 'framed';
  private progressProtocol: ThriftProtocol = 'binary';
  /** Offset of the envelope: 4 (framed), the THeader payload offset, or 0 (unframed). */
  private progressMessageOffset = 0;
  /** The frame's end (framed, THeader: the struct must end there) or the size limit (unframed). */
  private progressEnd = 0;
  private progressTHeader: THeaderFields | undefined;
  /** How the first message of the connection travelled: the format of replies to undecodable input. */
  private connectionTransport: ThriftTransport | undefined;
  private connectionProtocol: ThriftProtocol = 'binary';
  /**
   * The last message's name (the header reader returns the same string for repeated bytes), where it
   * splits as `Service:method`, and its operation name: found once while the name repeats.
   */
  private lastName = '';
  private lastSeparator = -1;
  private lastOperation = '';

  constructor(
    private readonly config: ThriftCodecConfig,
    side: CodecSide = 'downstream',
  ) {
    this.skipper = new StructSkipper(config.maxDepth);
    this.validating = side === 'downstream' && config.validateRequests;
  }

  decode(input: ByteQueue): Message | undefined {
    if (this.stage !== STAGE_NONE) {
      if (this.progressQueue === input && this.progressConsumed === input.consumed) return this.resume(input);
      this.stage = STAGE_NONE;
    }
    const format = detectWireFormat(input, this.config.maxFrameSize);
    switch (format) {
      case DETECT_NEED_MORE:
        return undefined;
      case DETECT_THEADER:
        this.connectionTransport ??= 'header';
        return this.beginTHeader(input);
      case DETECT_FRAMED_BINARY:
      case DETECT_FRAMED_COMPACT: {
        const protocol = format === DETECT_FRAMED_BINARY ? 'binary' : 'compact';
        this.remember('framed', protocol);
        return this.beginFramed(input, protocol);
      }
      default: {
        const protocol = format === DETECT_UNFRAMED_BINARY ? 'binary' : 'compact';
        this.remember('unframed', protocol);
        this.begin(input, 'unframed', protocol, 0, this.config.maxFrameSize, undefined);
        return this.resume(input);
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
    if (request === undefined && this.stage !== STAGE_NONE) {
      // The message being refused: answer its call, in its format, so its client can match the reply.
      const theader = this.progressTHeader;
      const walking = this.stage === STAGE_WALK;
      return encodeApplicationException(
        this.progressTransport,
        this.progressProtocol,
        theader?.flags ?? 0,
        walking ? this.header.name : '',
        walking ? this.header.seqid >>> 0 : theader !== undefined ? theader.seqid >>> 0 : 0,
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

  private beginFramed(input: ByteQueue, protocol: ThriftProtocol): Message | undefined {
    const frameEnd = 4 + input.i32(0);
    input.expectFrame(frameEnd);
    if (this.validating) {
      this.begin(input, 'framed', protocol, 4, frameEnd, undefined);
      return this.resume(input);
    }
    if (input.length < frameEnd) return undefined;
    this.readWholeEnvelope(input, protocol, 4, frameEnd);
    return this.finish(input, 'framed', protocol, 4, frameEnd, undefined);
  }

  private beginTHeader(input: ByteQueue): Message | undefined {
    const frameEnd = 4 + input.i32(0);
    input.expectFrame(frameEnd);
    if (!this.validating && input.length < frameEnd) return undefined;
    const theader = readTHeader(input, frameEnd, this.config);
    if (theader === undefined) return undefined;
    const protocol = theader.protocolId === THEADER_PROTOCOL_BINARY ? 'binary' : 'compact';
    if (this.connectionTransport === 'header') this.connectionProtocol = protocol;
    if (this.validating) {
      this.begin(input, 'header', protocol, theader.payloadOffset, frameEnd, theader);
      return this.resume(input);
    }
    this.readWholeEnvelope(input, protocol, theader.payloadOffset, frameEnd);
    return this.finish(input, 'header', protocol, theader.payloadOffset, frameEnd, theader);
  }

  /** Reads the envelope of a message that must fit between `start` and `end` (all arrived). */
  private readWholeEnvelope(input: ByteQueue, protocol: ThriftProtocol, start: number, end: number): void {
    const whole =
      protocol === 'binary'
        ? readBinaryMessageHeader(input, start, end, end, this.header)
        : readCompactMessageHeader(input, start, end, end, this.header);
    if (!whole || this.header.bodyOffset >= end) {
      throw malformed('thrift frame is too short for its message');
    }
  }

  /** Starts decoding the message at the front of `input`, whose envelope is at `messageOffset`. */
  private begin(
    input: ByteQueue,
    transport: ThriftTransport,
    protocol: ThriftProtocol,
    messageOffset: number,
    end: number,
    theader: THeaderFields | undefined,
  ): void {
    this.stage = STAGE_ENVELOPE;
    this.progressQueue = input;
    this.progressTransport = transport;
    this.progressProtocol = protocol;
    this.progressMessageOffset = messageOffset;
    this.progressEnd = end;
    this.progressTHeader = theader;
  }

  /**
   * Reads the envelope once it has arrived, then walks the struct as far as the bytes allow; returns
   * the message once the walk has reached its end.
   */
  private resume(input: ByteQueue): Message | undefined {
    const protocol = this.progressProtocol;
    const end = this.progressEnd;
    const exact = this.progressTransport !== 'unframed';
    if (this.stage === STAGE_ENVELOPE) {
      const start = this.progressMessageOffset;
      const available = Math.min(input.length, end);
      const whole =
        protocol === 'binary'
          ? readBinaryMessageHeader(input, start, available, end, this.header)
          : readCompactMessageHeader(input, start, available, end, this.header);
      if (!whole) {
        if (exact && available >= end) throw malformed('thrift frame is too short for its message');
        this.progressConsumed = input.consumed;
        return undefined;
      }
      this.skipper.start(protocol, this.header.bodyOffset);
      this.stage = STAGE_WALK;
      if (this.validating) checkRequestType(this.header.messageType);
    }
    const structEnd = this.skipper.run(input, end, exact);
    if (structEnd === NEED_MORE) {
      this.progressConsumed = input.consumed;
      return undefined;
    }
    if (exact && structEnd !== end) {
      throw malformed(`thrift frame has ${end - structEnd} bytes after its message`);
    }
    this.stage = STAGE_NONE;
    this.progressQueue = undefined;
    return this.finish(
      input,
      this.progressTransport,
      protocol,
      this.progressMessageOffset,
      structEnd,
      this.progressTHeader,
    );
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
    const name = header.name;
    if (name !== this.lastName) {
      this.lastName = name;
      this.lastSeparator = multiplexSeparator(name);
      this.lastOperation = thriftOperation(name, this.lastSeparator);
    }
    return createMessage(
      type,
      header.seqid >>> 0,
      bytes,
      thriftMetadata(name, theader, this.lastSeparator),
      state,
      status,
      this.lastOperation,
    );
  }
}
