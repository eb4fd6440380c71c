/**
 * Writes a decoded Thrift message back with a new seqid and/or new THeader info headers, copying the
 * arguments (or result) untouched. Layout of the output:
 *
 *   unframed: envelope-before-seqid seqid rest-of-message
 *   framed:   size:i32 envelope-before-seqid seqid rest-of-message
 *   THeader:  THeader prefix (frame seqid, header block) envelope-before-seqid seqid rest-of-message
 *
 * A binary seqid is 4 bytes and is rewritten in place; so is a compact varint seqid whose new value
 * takes as many bytes as the old one. Otherwise (a longer or shorter varint, or new THeader headers)
 * one new buffer is built and the sizes in front of the message are fixed.
 */
import type { EncodeOptions } from '../../codec/codec.js';
import type { Mutation } from '../../codec/message.js';
import type { ThriftMessageState } from './message-state.js';
import type { THeaderFields } from './theader-fields.js';
import { theaderBlockLength, writeTHeaderPrefix } from './theader-writer.js';
import { varint32Size, writeVarint32 } from './varint.js';
import { THEADER_FIXED_SIZE } from './wire-constants.js';

/**
 * Byte stores of a uint32 within the message: a seqid is rewritten in place per message, and
 * writeUInt32BE's range checks cost more than the stores.
 */
function writeU32(bytes: Buffer, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** The seqid the bytes carry now, as a uint32 (they may have been rewritten in place before). */
function currentSeqid(bytes: Buffer, state: ThriftMessageState): number {
  if (state.protocol === 'binary') {
    const at = state.seqidOffset;
    return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  }
  let value = 0;
  // Bytes after the fifth hold no bit of a uint32.
  for (let i = 0; i < state.seqidLength && i < 5; i++) {
    value += (bytes[state.seqidOffset + i]! & 0x7f) * 2 ** (7 * i);
  }
  return value % 0x1_0000_0000;
}

/** The flattened headers with each mutation entry replacing the header of the same name (any case) or added. */
function applyMutation(headers: readonly string[], mutation: Mutation): string[] {
  const out = headers.slice();
  for (const [key, value] of mutation) {
    const wanted = key.toLowerCase();
    let found = false;
    for (let i = 0; i < out.length; i += 2) {
      if (out[i]!.toLowerCase() === wanted) {
        out[i] = key;
        out[i + 1] = value;
        found = true;
        break;
      }
    }
    if (!found) out.push(key, value);
  }
  return out;
}

/**
 * The wire bytes for a message decoded by the Thrift codec, with `options` applied. A mutation is
 * applied only to THeader messages: framed and unframed Thrift have no header space, and switching a
 * message to THeader would break peers that do not speak it.
 */
export function rewriteThriftMessage(
  bytes: Buffer,
  state: ThriftMessageState,
  options: EncodeOptions,
): Buffer {
  const theader = state.theader;
  const mutation =
    theader !== undefined && options.mutation !== undefined && options.mutation.size > 0
      ? options.mutation
      : undefined;
  const seqidNow = currentSeqid(bytes, state);
  // Ids handed to this codec are its own seqids or the proxy's small ids: always numbers.
  const seqid = options.requestId === undefined ? seqidNow : Number(options.requestId) >>> 0;
  if (mutation === undefined) {
    if (seqid === seqidNow) return bytes;
    if (state.protocol === 'binary') {
      writeU32(bytes, state.seqidOffset, seqid);
      if (theader !== undefined) writeU32(bytes, 8, seqid);
      return bytes;
    }
    if (varint32Size(seqid) === state.seqidLength) {
      writeVarint32(bytes, state.seqidOffset, seqid);
      if (theader !== undefined) bytes.writeUInt32BE(seqid, 8);
      return bytes;
    }
  }
  // The frame-level seqid follows a new request id; otherwise it stays as it is.
  const frameSeqid = options.requestId === undefined && theader !== undefined ? bytes.readUInt32BE(8) : seqid;
  return rebuild(bytes, state, theader, seqid, frameSeqid, mutation);
}

function rebuild(
  bytes: Buffer,
  state: ThriftMessageState,
  theader: THeaderFields | undefined,
  seqid: number,
  frameSeqid: number,
  mutation: Mutation | undefined,
): Buffer {
  const seqidLength = state.protocol === 'binary' ? 4 : varint32Size(seqid);
  const seqidEnd = state.seqidOffset + state.seqidLength;
  const messageLength = bytes.length - state.messageOffset - state.seqidLength + seqidLength;
  let out: Buffer;
  let at: number;
  if (theader === undefined) {
    const prefix = state.transport === 'framed' ? 4 : 0;
    out = Buffer.allocUnsafe(prefix + messageLength);
    if (prefix === 4) out.writeInt32BE(messageLength, 0);
    at = prefix;
  } else if (mutation === undefined) {
    // Same header block: copy it as it is, fix the frame length and the frame's seqid.
    out = Buffer.allocUnsafe(state.messageOffset + messageLength);
    bytes.copy(out, 0, 0, state.messageOffset);
    out.writeInt32BE(state.messageOffset - 4 + messageLength, 0);
    out.writeUInt32BE(frameSeqid, 8);
    at = state.messageOffset;
  } else {
    const headers = applyMutation(theader.headers, mutation);
    const blockLength = theaderBlockLength(theader.protocolId, headers, theader.persistentHeaders);
    out = Buffer.allocUnsafe(THEADER_FIXED_SIZE + blockLength + messageLength);
    at = writeTHeaderPrefix(
      out,
      messageLength,
      theader.flags,
      frameSeqid,
      theader.protocolId,
      headers,
      theader.persistentHeaders,
      blockLength,
    );
  }
  at += bytes.copy(out, at, state.messageOffset, state.seqidOffset);
  if (state.protocol === 'binary') {
    out.writeUInt32BE(seqid, at);
    at += 4;
  } else {
    at = writeVarint32(out, at, seqid);
  }
  bytes.copy(out, at, seqidEnd);
  return out;
}
