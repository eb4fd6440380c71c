/**
 * Dubbo2 frames built and read with hessian.js (the Hessian2 library dubbo2.js is built on), for the
 * test providers, raw test clients and codec fixtures: an implementation independent of the codec.
 *
 *   frame := magic 0xdabb, flags, status, request id (8 bytes), body length (4 bytes), body
 */
import hessian from 'hessian.js';

export const FLAG_REQUEST = 0x80;
export const FLAG_TWO_WAY = 0x40;
export const FLAG_EVENT = 0x20;
export const HESSIAN2 = 2;
export const STATUS_OK = 20;
export const STATUS_BAD_REQUEST = 40;

/** Response types: the first int of an OK response body. */
export const ResponseType = {
  exception: 0,
  value: 1,
  nullValue: 2,
  exceptionWithAttachments: 3,
  valueWithAttachments: 4,
  nullValueWithAttachments: 5,
} as const;

/**
 * A request id: a Java long. A number when its magnitude is at most 2^53 - 1, else a bigint (the
 * codec SDK's rule, so that ids read here compare with `===` to the codec's).
 */
export type DubboRequestId = number | bigint;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The id as this module returns ids: a number when it is exact as one. */
export function dubboRequestId(id: bigint | number): DubboRequestId {
  const big = BigInt(id);
  return big >= -MAX_SAFE && big <= MAX_SAFE ? Number(big) : big;
}

/** A Dubbo frame's header fields. */
export interface FrameHeader {
  readonly flags: number;
  readonly status: number;
  readonly requestId: DubboRequestId;
  readonly bodyLength: number;
}

export function readHeader(frame: Buffer): FrameHeader {
  return {
    flags: frame[2]!,
    status: frame[3]!,
    requestId: dubboRequestId(frame.readBigInt64BE(4)),
    bodyLength: frame.readInt32BE(12),
  };
}

/** A frame around `body`. */
export function frame(flags: number, status: number, requestId: DubboRequestId, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt16BE(0xdabb, 0);
  header[2] = flags;
  header[3] = status;
  header.writeBigInt64BE(BigInt(requestId), 4);
  header.writeInt32BE(body.length, 12);
  return Buffer.concat([header, body]);
}

/** Hessian2 bytes of the values, written in order to one stream (class definitions are shared). */
export function hessianBytes(...values: unknown[]): Buffer {
  const encoder = new hessian.EncoderV2();
  for (const value of values) encoder.write(value);
  return Buffer.from(encoder.get());
}

/** An attachments map as Dubbo writes it (a java.util.HashMap of strings). */
export function attachmentsMap(attachments: Readonly<Record<string, unknown>>): unknown {
  return { $class: 'java.util.HashMap', $: { ...attachments } };
}

export interface RequestSpec {
  readonly requestId: DubboRequestId;
  readonly dubboVersion?: string;
  readonly service: string;
  readonly version?: string;
  readonly method: string;
  /** The parameter-types descriptor, e.g. `Ljava/lang/String;`. */
  readonly parameterTypes: string;
  /** The arguments, as hessian.js values (`{$class, $}` or plain). */
  readonly args?: readonly unknown[];
  /** The attachments value: a map (see {@link attachmentsMap}), `null`, or absent. */
  readonly attachments?: unknown;
  readonly twoWay?: boolean;
}

/** The body of a request. */
export function requestBody(spec: RequestSpec): Buffer {
  const values: unknown[] = [
    spec.dubboVersion ?? '2.0.2',
    spec.service,
    spec.version ?? '0.0.0',
    spec.method,
    spec.parameterTypes,
    ...(spec.args ?? []),
  ];
  if (spec.attachments !== undefined) values.push(spec.attachments);
  return hessianBytes(...values);
}

/** A request frame. */
export function requestFrame(spec: RequestSpec): Buffer {
  const flags = FLAG_REQUEST | HESSIAN2 | (spec.twoWay === false ? 0 : FLAG_TWO_WAY);
  return frame(flags, 0, spec.requestId, requestBody(spec));
}

export interface ResponseSpec {
  readonly requestId: DubboRequestId;
  readonly status?: number;
  /** For status OK: the response type (default: 1, or 4 when attachments are given). */
  readonly type?: number;
  /** The value or exception, for types 0, 1, 3, 4. */
  readonly value?: unknown;
  readonly attachments?: Readonly<Record<string, unknown>>;
  /** For other statuses: the error message. */
  readonly errorMessage?: string;
}

/** A response frame. */
export function responseFrame(spec: ResponseSpec): Buffer {
  const status = spec.status ?? STATUS_OK;
  if (status !== STATUS_OK) {
    return frame(HESSIAN2, status, spec.requestId, hessianBytes(spec.errorMessage ?? ''));
  }
  const type =
    spec.type ?? (spec.attachments === undefined ? ResponseType.value : ResponseType.valueWithAttachments);
  const values: unknown[] = [type];
  if (type !== ResponseType.nullValue && type !== ResponseType.nullValueWithAttachments) {
    values.push(spec.value);
  }
  if (type >= ResponseType.exceptionWithAttachments) values.push(attachmentsMap(spec.attachments ?? {}));
  return frame(HESSIAN2, status, spec.requestId, hessianBytes(...values));
}

/** A Java exception as hessian.js writes one (the shape Dubbo providers send). */
export function javaException(message: string, className = 'java.lang.RuntimeException'): unknown {
  return {
    $class: className,
    $: { detailMessage: message, cause: null, stackTrace: [], suppressedExceptions: [] },
  };
}

/** A heartbeat request (two-way event) with a null body. */
export function heartbeatFrame(requestId: DubboRequestId): Buffer {
  return frame(FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | HESSIAN2, 0, requestId, Buffer.from([0x4e]));
}

/**
 * The read-only event a provider sends on each connection when it shuts down gracefully (Dubbo's
 * `READONLY_EVENT`): a one-way event request whose data is the string "R".
 */
export function readOnlyEventFrame(requestId: DubboRequestId): Buffer {
  return frame(FLAG_REQUEST | FLAG_EVENT | HESSIAN2, 0, requestId, hessianBytes('R'));
}

/** A heartbeat reply (event response, status OK) with a null body. */
export function heartbeatReplyFrame(requestId: DubboRequestId): Buffer {
  return frame(FLAG_EVENT | HESSIAN2, STATUS_OK, requestId, Buffer.from([0x4e]));
}

/** A decoded request body, read as a Dubbo provider reads it. */
export interface DecodedRequest {
  readonly dubboVersion: string;
  readonly service: string;
  readonly version: string;
  readonly method: string;
  readonly parameterTypes: string;
  readonly args: unknown[];
  /** The raw bytes of each argument, as received. */
  readonly rawArgs: Buffer[];
  readonly attachments: Record<string, unknown>;
}

/**
 * Reads a request body with hessian.js: the five header strings, then values up to the end of the
 * body, the last of which is the attachments map (a provider that does not parse descriptors).
 */
export function decodeRequestBody(body: Buffer): DecodedRequest {
  const decoder = new hessian.DecoderV2(body);
  const dubboVersion = decoder.read() as string;
  const service = decoder.read() as string;
  const version = decoder.read() as string;
  const method = decoder.read() as string;
  const parameterTypes = decoder.read() as string;
  const values: unknown[] = [];
  const raw: Buffer[] = [];
  while (decoder.byteBuffer.position() < body.length) {
    const start = decoder.byteBuffer.position();
    values.push(decoder.read());
    raw.push(body.subarray(start, decoder.byteBuffer.position()));
  }
  const attachments = (values.pop() ?? {}) as Record<string, unknown>;
  raw.pop();
  return { dubboVersion, service, version, method, parameterTypes, args: values, rawArgs: raw, attachments };
}

/** A decoded OK response body. */
export interface DecodedResponse {
  readonly type: number;
  readonly value: unknown;
  readonly attachments: Record<string, unknown> | undefined;
}

export function decodeResponseBody(body: Buffer): DecodedResponse {
  const decoder = new hessian.DecoderV2(body);
  const type = decoder.readInt();
  const value =
    type === ResponseType.nullValue || type === ResponseType.nullValueWithAttachments ? null : decoder.read();
  const attachments =
    type >= ResponseType.exceptionWithAttachments ? (decoder.read() as Record<string, unknown>) : undefined;
  return { type, value, attachments };
}

/**
 * Splits a byte stream into Dubbo frames: push chunks, get whole frames. Throws on a bad magic (the
 * test peers are strict).
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 16) {
      if (this.buffered.readUInt16BE(0) !== 0xdabb) throw new Error('not a dubbo frame');
      const length = 16 + this.buffered.readInt32BE(12);
      if (this.buffered.length < length) break;
      frames.push(this.buffered.subarray(0, length));
      this.buffered = this.buffered.subarray(length);
    }
    return frames;
  }
}
