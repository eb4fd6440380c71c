/**
 * Writes an EXCEPTION message carrying a TApplicationException `struct { 1: string message; 2: i32 type }`:
 *
 *   binary:  0x80 0x01 0x00 0x03 name:string seqid:i32
 *            0x0B 0x0001 message:string  0x08 0x0002 type:i32  0x00
 *   compact: 0x82 0x61 seqid:varint name:vstring
 *            0x18 message:vstring  0x15 type:zigzag-varint  0x00
 *
 * framed as asked: nothing (unframed), an i32 size (framed) or a THeader prefix without info headers.
 */
import { theaderBlockLength, writeTHeaderPrefix } from './theader-writer.js';
import { varint32Size, writeVarint32, zigzag32 } from './varint.js';
import {
  BINARY_I32,
  BINARY_STRING,
  BINARY_VERSION_HIGH,
  BINARY_VERSION_LOW,
  COMPACT_BINARY,
  COMPACT_I32,
  COMPACT_PROTOCOL_ID,
  COMPACT_TYPE_SHIFT,
  COMPACT_VERSION,
  MESSAGE_EXCEPTION,
  THEADER_FIXED_SIZE,
  THEADER_PROTOCOL_BINARY,
  THEADER_PROTOCOL_COMPACT,
} from './wire-constants.js';
import type { ThriftProtocol, ThriftTransport } from './wire-format.js';

const NO_HEADERS: readonly string[] = [];

/** Size of the message (envelope and struct) in `protocol`. */
function messageLength(
  protocol: ThriftProtocol,
  seqid: number,
  nameLength: number,
  textLength: number,
  type: number,
): number {
  if (protocol === 'binary') return 12 + nameLength + (7 + textLength) + 7 + 1;
  return (
    2 +
    varint32Size(seqid) +
    varint32Size(nameLength) +
    nameLength +
    (1 + varint32Size(textLength) + textLength) +
    (1 + varint32Size(zigzag32(type))) +
    1
  );
}

function writeBinary(
  out: Buffer,
  at: number,
  name: string,
  nameLength: number,
  seqid: number,
  text: string,
  textLength: number,
  type: number,
): void {
  out[at] = BINARY_VERSION_HIGH;
  out[at + 1] = BINARY_VERSION_LOW;
  out[at + 2] = 0;
  out[at + 3] = MESSAGE_EXCEPTION;
  out.writeInt32BE(nameLength, at + 4);
  at += 8 + out.write(name, at + 8, 'utf8');
  out.writeInt32BE(seqid | 0, at);
  out[at + 4] = BINARY_STRING;
  out.writeInt16BE(1, at + 5);
  out.writeInt32BE(textLength, at + 7);
  at += 11 + out.write(text, at + 11, 'utf8');
  out[at] = BINARY_I32;
  out.writeInt16BE(2, at + 1);
  out.writeInt32BE(type, at + 3);
  out[at + 7] = 0;
}

function writeCompact(
  out: Buffer,
  at: number,
  name: string,
  nameLength: number,
  seqid: number,
  text: string,
  textLength: number,
  type: number,
): void {
  out[at] = COMPACT_PROTOCOL_ID;
  out[at + 1] = (MESSAGE_EXCEPTION << COMPACT_TYPE_SHIFT) | COMPACT_VERSION;
  at = writeVarint32(out, at + 2, seqid);
  at = writeVarint32(out, at, nameLength);
  at += out.write(name, at, 'utf8');
  out[at] = (1 << 4) | COMPACT_BINARY;
  at = writeVarint32(out, at + 1, textLength);
  at += out.write(text, at, 'utf8');
  out[at] = (1 << 4) | COMPACT_I32;
  at = writeVarint32(out, at + 1, zigzag32(type));
  out[at] = 0;
}

/**
 * The bytes of an EXCEPTION reply named `name` with sequence id `seqid` (written as an i32) carrying
 * TApplicationException {message: `text`, type: `type`}, in the given transport and protocol.
 * `theaderFlags` is echoed in a THeader reply.
 */
export function encodeApplicationException(
  transport: ThriftTransport,
  protocol: ThriftProtocol,
  theaderFlags: number,
  name: string,
  seqid: number,
  text: string,
  type: number,
): Buffer {
  const nameLength = Buffer.byteLength(name, 'utf8');
  const textLength = Buffer.byteLength(text, 'utf8');
  const length = messageLength(protocol, seqid, nameLength, textLength, type);
  const protocolId = protocol === 'binary' ? THEADER_PROTOCOL_BINARY : THEADER_PROTOCOL_COMPACT;
  const blockLength = transport === 'header' ? theaderBlockLength(protocolId, NO_HEADERS, NO_HEADERS) : 0;
  const prefix = transport === 'header' ? THEADER_FIXED_SIZE + blockLength : transport === 'framed' ? 4 : 0;
  const out = Buffer.allocUnsafe(prefix + length);
  if (transport === 'header') {
    writeTHeaderPrefix(out, length, theaderFlags, seqid, protocolId, NO_HEADERS, NO_HEADERS, blockLength);
  } else if (transport === 'framed') {
    out.writeInt32BE(length, 0);
  }
  if (protocol === 'binary') writeBinary(out, prefix, name, nameLength, seqid, text, textLength, type);
  else writeCompact(out, prefix, name, nameLength, seqid, text, textLength, type);
  return out;
}
