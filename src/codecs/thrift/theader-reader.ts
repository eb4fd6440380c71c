/**
 * Reads the THeader transport's framing (Apache Thrift doc/specs/HeaderFormat.md):
 *
 *   frame   := length:i32 0x0FFF flags:u16 seqid:i32 header-words:u16 header payload
 *   header  := protocol-id:varint transform-count:varint { transform-id:varint } { info } padding
 *   info    := info-id:varint count:varint { key:vstring value:vstring }
 *              (info-id 1 = key/value headers, 2 = persistent key/value headers)
 *   vstring := length:varint utf8-bytes
 *   padding := zero bytes up to header-words * 4 bytes of header
 *   payload := one binary (protocol-id 0) or compact (protocol-id 2) message, up to the frame's end
 *
 * `length` counts the bytes after itself. An info id of 0 starts the padding; an unknown info id ends
 * the header (its layout is unknown), as the Apache implementations do. Transforms (zlib, …) are not
 * supported: a frame that uses one is refused with CODEC_UNSUPPORTED.
 *
 * Limits (CODEC_TOO_LARGE, naming the setting): the header block (header-words * 4 bytes) may not
 * exceed `maxHeaderBytes`, checked before it is read; the info headers of both kinds together may
 * not exceed `maxHeaders` pairs, checked on each block's count before its pairs are read. So the
 * work of reading a header block is bounded by the limits, not by what the peer claims.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import { THeaderFields } from './theader-fields.js';
import { varint32Value, varintLength } from './varint.js';
import {
  THEADER_FIXED_SIZE,
  THEADER_INFO_KEYVALUE,
  THEADER_INFO_PERSISTENT_KEYVALUE,
  THEADER_PROTOCOL_BINARY,
  THEADER_PROTOCOL_COMPACT,
  THEADER_PROTOCOL_JSON,
} from './wire-constants.js';

/** Reads a varint that must end before `end`; advances `cursor.at`. */
function headerVarint(queue: ByteQueue, cursor: { at: number }, end: number, what: string): number {
  const length = varintLength(queue, cursor.at, end, 5);
  if (length === 0) throw malformed(`THeader ${what} runs past the header block`);
  const value = varint32Value(queue, cursor.at, length);
  cursor.at += length;
  return value;
}

/** Reads a varint-length string that must end before `end`; advances `cursor.at`. */
function headerString(queue: ByteQueue, cursor: { at: number }, end: number): string {
  const length = headerVarint(queue, cursor, end, 'string length');
  if (cursor.at + length > end) throw malformed('THeader string runs past the header block');
  const value = queue.string(cursor.at, length);
  cursor.at += length;
  return value;
}

/** The header limits of {@link readTHeader}. */
export interface THeaderLimits {
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
}

/**
 * Reads the THeader framing of the frame at offset 0 of `queue`, which ends at `frameEnd` (detection
 * has checked the magic and the size). Returns `undefined` while the header block has not arrived
 * whole; the message after it need not have arrived.
 */
export function readTHeader(
  queue: ByteQueue,
  frameEnd: number,
  limits: THeaderLimits,
): THeaderFields | undefined {
  if (frameEnd < THEADER_FIXED_SIZE) throw malformed('THeader frame is shorter than its fixed header');
  if (queue.length < THEADER_FIXED_SIZE) return undefined;
  const headerBytes = queue.u16(12) * 4;
  const headerEnd = THEADER_FIXED_SIZE + headerBytes;
  if (headerEnd > frameEnd) throw malformed('THeader header block runs past the frame');
  if (headerBytes > limits.maxHeaderBytes) {
    throw new CodecError(
      ErrorCodes.CODEC_TOO_LARGE,
      `THeader header block of ${headerBytes} bytes exceeds the limit of ${limits.maxHeaderBytes} (maxHeaderBytes)`,
    );
  }
  if (queue.length < headerEnd) return undefined;
  const flags = queue.u16(6);
  const seqid = queue.i32(8);
  const cursor = { at: THEADER_FIXED_SIZE };
  const protocolId = headerVarint(queue, cursor, headerEnd, 'protocol id');
  if (protocolId === THEADER_PROTOCOL_JSON) {
    throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, 'THeader with the JSON protocol is not supported');
  }
  if (protocolId !== THEADER_PROTOCOL_BINARY && protocolId !== THEADER_PROTOCOL_COMPACT) {
    throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, `THeader protocol id ${protocolId} is not supported`);
  }
  const transforms = headerVarint(queue, cursor, headerEnd, 'transform count');
  if (transforms !== 0) {
    throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, 'THeader transforms (compression) are not supported');
  }
  const headers: string[] = [];
  const persistentHeaders: string[] = [];
  while (cursor.at < headerEnd) {
    const infoId = headerVarint(queue, cursor, headerEnd, 'info id');
    if (infoId !== THEADER_INFO_KEYVALUE && infoId !== THEADER_INFO_PERSISTENT_KEYVALUE) break;
    const into = infoId === THEADER_INFO_KEYVALUE ? headers : persistentHeaders;
    const count = headerVarint(queue, cursor, headerEnd, 'header count');
    const total = (headers.length + persistentHeaders.length) / 2 + count;
    if (total > limits.maxHeaders) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `THeader carries ${total} info headers, more than the limit of ${limits.maxHeaders} (maxHeaders)`,
      );
    }
    // Each pair takes at least two bytes: a larger count is a lie.
    if (count * 2 > headerEnd - cursor.at) throw malformed(`THeader claims ${count} headers`);
    for (let i = 0; i < count; i++) {
      into.push(headerString(queue, cursor, headerEnd), headerString(queue, cursor, headerEnd));
    }
  }
  return new THeaderFields(flags, seqid, protocolId, headers, persistentHeaders, headerEnd);
}
