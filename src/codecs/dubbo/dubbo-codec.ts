/**
 * The Dubbo codec: one instance per connection side. Decodes one frame at a time:
 *
 *   frame := header body                                  (see frame-header.ts)
 *   body  := request body (request-body.ts) | OK response body (response-body.ts)
 *          | error message string (other statuses) | event data (events.ts)
 *
 * A frame is taken off the queue once it has arrived whole (its length is in the header): a view of
 * the socket's chunk, or one copy (gathered as its chunks arrive) when it spans chunks. Its body is
 * read in place as it arrives (body-walk.ts): the header fields are decoded, the attachments checked
 * and decoded only when something reads them (deferred-attachments.ts), the arguments and results
 * only skipped, and a request must end exactly with its attachments.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import type { Codec, CodecSide, EncodeOptions, LocalReply } from '../../codec/codec.js';
import { Metadata, createMessage } from '../../codec/message.js';
import type { Message, MessageType, ResponseStatus } from '../../codec/message.js';
import type { RequestId } from '../../codec/request-id.js';
import { malformed } from '../../errors.js';
import { BodyWalk } from './body-walk.js';
import type { DubboCodecConfig } from './codec-config.js';
import { DeferredAttachments, hasDeferredAttributes } from './deferred-attachments.js';
import { isReadOnlyEvent } from './events.js';
import { DubboFrameHeader, checkFrameHeader, readFrameHeader } from './frame-header.js';
import { heartbeatProbe, heartbeatReply } from './heartbeat.js';
import { HessianReader } from './hessian-reader.js';
import { HessianSkipper } from './hessian-skipper.js';
import { errorResponse, localReplyStatus } from './local-reply.js';
import { rewriteDubboMessage } from './message-rewriter.js';
import { DubboMessageState } from './message-state.js';
import { supportsResponseAttachments } from './protocol-version.js';
import { isValidRequestId } from './request-id.js';
import {
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_SIZE,
  RESPONSE_WITH_EXCEPTION,
  RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS,
  STATUS_OK,
} from './wire-constants.js';

/**
 * Decodes and encodes Dubbo2 frames with Hessian2 bodies. See the factory (`dubboCodecFactory`) for
 * the metadata and the local replies.
 */
export class DubboCodec implements Codec {
  private readonly header = new DubboFrameHeader();
  private readonly reader = new HessianReader();
  private lastService = '';
  private lastMethod = '';
  private lastOperation = '/';
  /** Decodes the attributes of this codec's messages when something reads them; used for nothing else. */
  private readonly attributesReader = new HessianReader();
  private readonly skipper: HessianSkipper;
  private readonly body: BodyWalk;
  /**
   * The request id of the last header read, or undefined: a frame rejected after its header
   * (unsupported serialization, too large, bad body) is answered with its own id.
   */
  private lastRequestId: RequestId | undefined = undefined;
  /** The protocol version of the last request decoded, and whether its client reads response attachments. */
  private clientVersion: string | undefined;
  private clientReadsResponseAttachments = true;

  /** Whether this codec reads what clients send (requests), rather than what servers send. */
  private readonly downstream: boolean;

  constructor(
    private readonly config: DubboCodecConfig,
    side: CodecSide = 'downstream',
  ) {
    this.downstream = side === 'downstream';
    this.skipper = new HessianSkipper(this.reader, config.maxDepth);
    this.body = new BodyWalk(this.reader, this.skipper, config);
  }

  decode(input: ByteQueue): Message | undefined {
    const header = this.header;
    this.lastRequestId = undefined;
    if (!readFrameHeader(input, header)) return undefined;
    this.lastRequestId = header.requestId;
    checkFrameHeader(header, this.config.maxBodySize);
    const frameLength = HEADER_SIZE + header.bodyLength;
    const flags = header.flags;
    if (this.downstream && (flags & (FLAG_REQUEST | FLAG_EVENT)) === 0) {
      // It would belong to no request: refused (and answered) rather than dropped while its sender waits.
      throw malformed('dubbo client sent a response frame; requests have the request flag');
    }
    const readsBody =
      (flags & FLAG_EVENT) === 0 && ((flags & FLAG_REQUEST) !== 0 || header.status === STATUS_OK);
    if (input.length < frameLength) {
      input.expectFrame(frameLength);
      if (readsBody) this.body.advance(input, frameLength, (flags & FLAG_REQUEST) !== 0);
      return undefined;
    }
    const resumed = this.body.resumes(input);
    const bytes = input.take(frameLength);
    const requestId = header.requestId;
    if ((flags & FLAG_EVENT) !== 0) {
      const type: MessageType =
        (flags & FLAG_REQUEST) === 0
          ? 'heartbeat-reply'
          : isReadOnlyEvent(this.reader, bytes, frameLength)
            ? 'goaway'
            : 'heartbeat';
      return createMessage(
        type,
        requestId,
        bytes,
        new Metadata(),
        DubboMessageState.headerOnly(flags, header.status),
      );
    }
    const metadata = new Metadata();
    if ((flags & FLAG_REQUEST) !== 0) {
      const state = this.body.request(bytes, flags, resumed);
      if (hasDeferredAttributes(state.serviceVersion, state.attachments)) {
        metadata.defer(
          new DeferredAttachments(this.attributesReader, bytes, state.serviceVersion, state.attachments),
        );
      }
      // Set after the attachments (see request-body.ts): no attachment overrides them.
      metadata.set('interface', state.serviceName);
      metadata.set('method', state.methodName);
      this.noteClientVersion(state.dubboVersion);
      const type: MessageType = (flags & FLAG_TWO_WAY) !== 0 ? 'request' : 'oneway';
      return createMessage(type, requestId, bytes, metadata, state, 'ok', this.operation(state));
    }
    const status = header.status;
    const state =
      status === STATUS_OK
        ? this.body.response(bytes, flags, status, resumed)
        : DubboMessageState.headerOnly(flags, status);
    if (hasDeferredAttributes('', state.attachments)) {
      metadata.defer(new DeferredAttachments(this.attributesReader, bytes, '', state.attachments));
    }
    const failed =
      status !== STATUS_OK ||
      state.responseType === RESPONSE_WITH_EXCEPTION ||
      state.responseType === RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS;
    const outcome: ResponseStatus = failed ? 'error' : 'ok';
    return createMessage(failed ? 'error' : 'response', requestId, bytes, metadata, state, outcome);
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    const state = message.codecState;
    if (options === undefined || !(state instanceof DubboMessageState)) return message.bytes;
    if (options.requestId === undefined && (options.mutation === undefined || options.mutation.size === 0)) {
      return message.bytes;
    }
    return rewriteDubboMessage(
      message.bytes,
      state,
      options,
      this.clientReadsResponseAttachments,
      this.reader,
    );
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    if (request?.type === 'oneway') return undefined;
    const id = request !== undefined ? request.requestId : (this.lastRequestId ?? 0);
    return errorResponse(isValidRequestId(id) ? id : 0, localReplyStatus(reply.kind), reply.message);
  }

  encodeHeartbeatReply(heartbeat: Message): Buffer {
    const state = heartbeat.codecState;
    const flags = state instanceof DubboMessageState ? state.flags : FLAG_TWO_WAY;
    return heartbeatReply(flags, heartbeat.requestId);
  }

  encodeHeartbeat(requestId: number): Buffer {
    return heartbeatProbe(requestId);
  }

  /**
   * `interface/method`: the one made for the last request when its names are the same strings (the
   * reader hands back the same string objects for repeated bytes), instead of a new string a request.
   */
  private operation(state: DubboMessageState): string {
    if (state.serviceName !== this.lastService || state.methodName !== this.lastMethod) {
      this.lastService = state.serviceName;
      this.lastMethod = state.methodName;
      this.lastOperation = `${state.serviceName}/${state.methodName}`;
    }
    return this.lastOperation;
  }

  /** Remembers whether the client on this connection reads response attachments (see protocol-version.ts). */
  private noteClientVersion(version: string): void {
    if (version === this.clientVersion) return;
    this.clientVersion = version;
    this.clientReadsResponseAttachments = supportsResponseAttachments(version);
  }
}
