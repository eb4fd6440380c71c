/**
 * Reads the body of a Dubbo request, or of an OK response, in steps that follow the frame's arrival,
 * so that no single decode call walks more than the bytes that arrived since the last one:
 *
 *   head    the request's fields before its arguments (request-body.ts), or the response type
 *           (response-body.ts): read once the body has arrived whole or up to `maxHeaderBytes`;
 *   values  the arguments, or the response value before attachments: walked by the skipper as far as
 *           the bytes allow, resumed on later arrivals;
 *   tail    the attachments and the end checks, once the frame has arrived whole.
 *
 * While the frame arrives the codec calls {@link BodyWalk.advance}; the walk only moves on when at
 * least {@link RESUME_STEP} new bytes have arrived, so a peer trickling bytes cannot make it read the
 * same token again for every byte. A frame that arrives whole at once is read in one call.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import type { HeaderLimits } from './codec-config.js';
import type { HessianReader } from './hessian-reader.js';
import { NEED_MORE, type HessianSkipper } from './hessian-skipper.js';
import type { DubboMessageState } from './message-state.js';
import { RecentAttachments } from './recent-attachments.js';
import { RequestHead, readRequestHead, readRequestTail } from './request-body.js';
import { readResponseTail, readResponseType, responseValues } from './response-body.js';
import { HEADER_SIZE } from './wire-constants.js';

/** Fewest new bytes for which a walk over an arriving frame is resumed. */
const RESUME_STEP = 16 * 1024;

/** The head is not read yet. */
const STAGE_HEAD = 0;
/** The values are being walked (the skipper holds the progress). */
const STAGE_VALUES = 1;
/** The values are walked; {@link BodyWalk.valuesEnd} is where they end. */
const STAGE_TAIL = 2;

/** One body's reading, kept between decode calls; one per codec. */
export class BodyWalk {
  private readonly head = new RequestHead();
  private readonly recentAttachments = new RecentAttachments();
  /** The queue whose front frame the progress belongs to, and its `consumed` count then. */
  private queue: ByteQueue | undefined;
  private consumed = 0;
  private stage = STAGE_HEAD;
  /** How many bytes of the frame had arrived at the last step. */
  private walkedTo = 0;
  private responseType = -1;
  private responseTypeEnd = -1;
  private valuesEnd = 0;
  /** The state of the last response without attachments (immutable, see {@link response}). */
  private lastResponse: DubboMessageState | undefined = undefined;

  constructor(
    private readonly reader: HessianReader,
    private readonly skipper: HessianSkipper,
    private readonly limits: HeaderLimits,
  ) {}

  /**
   * Walks what has arrived of the frame of `frameLength` bytes at the front of `input` (not all of it
   * yet; announced to the queue with `expectFrame`, so that its bytes are contiguous).
   */
  advance(input: ByteQueue, frameLength: number, request: boolean): void {
    if (this.queue !== input || this.consumed !== input.consumed) {
      this.queue = input;
      this.consumed = input.consumed;
      this.stage = STAGE_HEAD;
      this.walkedTo = 0;
    }
    const arrived = input.length;
    if (arrived - this.walkedTo < RESUME_STEP) return;
    if (this.stage === STAGE_HEAD && arrived < HEADER_SIZE + this.limits.maxHeaderBytes) return;
    this.walkedTo = arrived;
    this.reader.reset(input.peek(0, arrived), frameLength, arrived);
    try {
      this.step(request);
    } finally {
      this.reader.release();
    }
  }

  /**
   * Whether the progress made by {@link advance} belongs to the frame at the front of `input`: call
   * it before taking the frame off the queue, and pass the answer to {@link request} or
   * {@link response}.
   */
  resumes(input: ByteQueue): boolean {
    const resumes = this.queue === input && this.consumed === input.consumed;
    this.queue = undefined;
    return resumes;
  }

  /** Reads the request body of the whole frame `bytes`; returns its state. */
  request(bytes: Buffer, flags: number, resumed: boolean): DubboMessageState {
    this.begin(bytes, resumed);
    try {
      this.step(true);
      return readRequestTail(
        this.reader,
        this.skipper,
        this.head,
        this.valuesEnd,
        flags,
        this.limits,
        this.recentAttachments,
      );
    } finally {
      this.reader.release();
    }
  }

  /** Reads the body of the whole OK response `bytes`; returns its state. */
  response(bytes: Buffer, flags: number, status: number, resumed: boolean): DubboMessageState {
    this.begin(bytes, resumed);
    try {
      this.step(false);
      const last = this.lastResponse;
      if (
        last !== undefined &&
        last.flags === flags &&
        last.status === status &&
        last.responseType === this.responseType &&
        last.responseTypeEnd === this.responseTypeEnd
      ) {
        return last;
      }
      const state = readResponseTail(
        this.reader,
        this.skipper,
        this.responseType,
        this.responseTypeEnd,
        this.valuesEnd,
        flags,
        status,
        this.limits,
        this.recentAttachments,
      );
      // A state without attachments says nothing about its frame's bytes beyond these fields, so the
      // next response like it (most of a connection's) shares it instead of allocating its own.
      this.lastResponse = state.attachments === undefined ? state : undefined;
      return state;
    } finally {
      this.reader.release();
    }
  }

  private begin(bytes: Buffer, resumed: boolean): void {
    if (!resumed) this.stage = STAGE_HEAD;
    this.reader.reset(bytes, bytes.length);
  }

  /** Reads the head if it is due, then walks the values as far as the reader's bytes go. */
  private step(request: boolean): void {
    const skipper = this.skipper;
    if (this.stage === STAGE_HEAD) {
      skipper.reset();
      if (request) {
        readRequestHead(this.reader, this.head, this.limits.maxHeaderBytes);
        skipper.start(this.head.argumentsAt, this.head.argumentCount);
      } else {
        this.responseType = readResponseType(this.reader);
        this.responseTypeEnd = this.reader.next;
        skipper.start(this.responseTypeEnd, responseValues(this.responseType));
      }
      this.stage = STAGE_VALUES;
    }
    if (this.stage === STAGE_VALUES) {
      // Only a reader short of the body's end can run out: a whole frame never returns NEED_MORE.
      const end = skipper.run();
      if (end === NEED_MORE) return;
      this.valuesEnd = end;
      this.stage = STAGE_TAIL;
    }
  }
}
