/**
 * The Thrift codec, registered as `aeraki.meta_protocol.codec.thrift`.
 *
 * Transports: framed, unframed (buffered) and THeader; protocols: strict binary and compact; both
 * detected on every message (a connection may mix them; the first one seen is used for replies to
 * input that could not be decoded).
 *
 * Decoded messages:
 * - type: CALL → `request`, ONEWAY → `oneway`, REPLY → `response`, EXCEPTION → `error`;
 *   status `error` for EXCEPTION, and for a REPLY whose result struct opens with a field id other than
 *   0 (a declared exception); else `ok`.
 * - requestId: the seqid, as a uint32 (the i32's bit pattern; written back the same way).
 * - metadata: `method`; for TMultiplexedProtocol names `Service:method`, `method` is the part after
 *   the `:` and `service` the part before; every THeader info header, key lower-cased.
 * - operation: `Service/method`, or the method.
 *
 * encode: without options the original bytes; `requestId` rewrites the seqid (and the THeader frame
 * seqid); `mutation` writes THeader info headers (replacing same-named ones) and is ignored for
 * framed and unframed messages, which have no header space.
 *
 * Local replies: an EXCEPTION message with a TApplicationException {message, type} (UNKNOWN_METHOD
 * for no-route, PROTOCOL_ERROR for bad-request, INTERNAL_ERROR otherwise) carrying the request's name
 * and seqid, in the request's transport and protocol; none for one-way requests.
 *
 * Checks: every message a client sends is walked before it is decoded (its struct well formed, within
 * the nesting limit, ending exactly at its frame's end); a malformed one, or one over a limit, is
 * answered with a TApplicationException (PROTOCOL_ERROR) for its seqid and the connection is closed,
 * so it never reaches a server connection that other clients share. The walk advances as the bytes
 * arrive, so a large frame costs each socket read only the bytes that read brought.
 *
 * Config (optional): `{ maxFrameSize?: number (default 16 MiB), maxDepth?: number (default 64),
 * maxHeaders?: number (THeader info headers, default 128), maxHeaderBytes?: number (THeader header
 * block, default 64 KiB), validateRequests?: boolean (default true) }`.
 */
import type { CodecFactory } from '../../codec/codec.js';
import { THRIFT_CODEC_CAPABILITIES, THRIFT_CODEC_NAME } from './codec-name.js';
import { parseThriftCodecConfig } from './codec-config.js';
import { ThriftCodec } from './thrift-codec.js';

/** The Thrift codec's registration (`aeraki.meta_protocol.codec.thrift`); see the module comment above. */
export const thriftCodecFactory: CodecFactory = {
  name: THRIFT_CODEC_NAME,
  capabilities: THRIFT_CODEC_CAPABILITIES,
  create: (side, config) => new ThriftCodec(parseThriftCodecConfig(config), side),
};

export { ThriftCodec } from './thrift-codec.js';
export type { ThriftCodecConfig } from './codec-config.js';
export { ThriftMessageState } from './message-state.js';
export type { ThriftProtocol, ThriftTransport } from './wire-format.js';
