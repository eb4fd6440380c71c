/**
 * Writes the THeader transport's framing (grammar in theader-reader.ts):
 *
 *   frame  := length:i32 0x0FFF flags:u16 seqid:i32 header-words:u16 header payload
 *   header := protocol-id:varint 0x00 (no transforms)
 *             [ 0x01 count:varint { key:vstring value:vstring } ]      (when there are headers)
 *             [ 0x02 count:varint { key:vstring value:vstring } ]      (when there are persistent ones)
 *             zero padding to a multiple of 4 bytes
 *
 * The payload is written by the caller after the returned offset.
 */
import { CodecError, ErrorCodes } from '../../errors.js';
import { varint32Size, writeVarint32 } from './varint.js';
import {
  THEADER_FIXED_SIZE,
  THEADER_INFO_KEYVALUE,
  THEADER_INFO_PERSISTENT_KEYVALUE,
  THEADER_MAGIC,
} from './wire-constants.js';

/** The header-words field is a u16 counting 4-byte words. */
const MAX_HEADER_BLOCK = 0xffff * 4;

function infoLength(infoId: number, pairs: readonly string[]): number {
  if (pairs.length === 0) return 0;
  let length = varint32Size(infoId) + varint32Size(pairs.length / 2);
  for (const text of pairs) {
    const size = Buffer.byteLength(text, 'utf8');
    length += varint32Size(size) + size;
  }
  return length;
}

function writeInfo(out: Buffer, offset: number, infoId: number, pairs: readonly string[]): number {
  if (pairs.length === 0) return offset;
  let at = writeVarint32(out, offset, infoId);
  at = writeVarint32(out, at, pairs.length / 2);
  for (const text of pairs) {
    const size = Buffer.byteLength(text, 'utf8');
    at = writeVarint32(out, at, size);
    at += out.write(text, at, 'utf8');
  }
  return at;
}

/**
 * Bytes the header block takes, padding included, for these flattened [key, value, …] info headers.
 * Raises CODEC_UNSUPPORTED if they do not fit the 16-bit header size.
 */
export function theaderBlockLength(
  protocolId: number,
  headers: readonly string[],
  persistentHeaders: readonly string[],
): number {
  const unpadded =
    varint32Size(protocolId) +
    1 +
    infoLength(THEADER_INFO_KEYVALUE, headers) +
    infoLength(THEADER_INFO_PERSISTENT_KEYVALUE, persistentHeaders);
  const padded = (unpadded + 3) & ~3;
  if (padded > MAX_HEADER_BLOCK) {
    throw new CodecError(
      ErrorCodes.CODEC_UNSUPPORTED,
      `THeader headers take more than ${MAX_HEADER_BLOCK} bytes`,
    );
  }
  return padded;
}

/**
 * Writes the THeader prefix (fixed part and header block of `blockLength` bytes, from
 * {@link theaderBlockLength}) at offset 0 of `out`, for a payload of `payloadLength` bytes. Returns the
 * offset where the payload goes.
 */
export function writeTHeaderPrefix(
  out: Buffer,
  payloadLength: number,
  flags: number,
  seqid: number,
  protocolId: number,
  headers: readonly string[],
  persistentHeaders: readonly string[],
  blockLength: number,
): number {
  out.writeInt32BE(THEADER_FIXED_SIZE - 4 + blockLength + payloadLength, 0);
  out.writeUInt16BE(THEADER_MAGIC, 4);
  out.writeUInt16BE(flags, 6);
  out.writeInt32BE(seqid | 0, 8);
  out.writeUInt16BE(blockLength / 4, 12);
  let at = writeVarint32(out, THEADER_FIXED_SIZE, protocolId);
  out[at++] = 0;
  at = writeInfo(out, at, THEADER_INFO_KEYVALUE, headers);
  at = writeInfo(out, at, THEADER_INFO_PERSISTENT_KEYVALUE, persistentHeaders);
  const payloadOffset = THEADER_FIXED_SIZE + blockLength;
  out.fill(0, at, payloadOffset);
  return payloadOffset;
}
