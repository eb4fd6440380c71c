/**
 * The Dubbo codec, registered as `aeraki.meta_protocol.codec.dubbo`: Dubbo2 frames (the `dubbo://`
 * protocol) with Hessian2 bodies.
 *
 * Decoded messages:
 * - type: a two-way request → `request`, a request without the two-way flag → `oneway`; the read-only
 *   event (an event request whose data is the string "R", sent by a provider shutting down) →
 *   `goaway`, any other event request → `heartbeat`, an event response → `heartbeat-reply`; a
 *   response with status OK (20) → `response`, unless its body reports an exception (response type
 *   0 or 3) → `error`; a response with any other status (30, 31, 40, 50, 60, 70, 80, 90, 100, …) →
 *   `error`. Status `error` for `error` messages, else `ok`.
 * - requestId: the 8-byte request id, a signed Java long: a number, or a bigint beyond 2^53 − 1 either
 *   side of 0 (the SDK's rule, codec/request-id.ts). Every 64-bit id is taken and written back exactly.
 * - metadata of requests: `interface` (the service path), `method`, `version` (the body's service
 *   version, overridden by a `version` attachment, as Dubbo does), and every attachment (`group`,
 *   `timeout`, `application`, `path`, custom keys…): string values as they are, numbers and booleans
 *   as text; attachments with other values are not exposed. Responses of type 3–5: their attachments.
 * - operation: `interface/method`.
 * - Arguments and results are never decoded: a Hessian2 skipper walks them to reach the attachments.
 *
 * encode: without options, the original bytes. `requestId` rewrites the 8-byte id (any long). `mutation` is
 * written into the attachments (only the attachments map is re-encoded, the body length fixed up):
 * of requests, and of OK responses. A response of type 0, 1 or 2 (no attachments) is upgraded to
 * type 3, 4 or 5 with an attachments map, unless the client on the connection announced a protocol
 * version that does not read response attachments (Dubbo's rule: 2.0.2 to 2.0.99 do). Error
 * responses (status ≠ 20) and events carry no attachments: a mutation is ignored there.
 *
 * Local replies: a response with the request's id, a status by kind (SERVICE_NOT_FOUND 60 for no-route
 * and no-cluster, SERVER_TIMEOUT 31 for timeout, SERVER_THREADPOOL_EXHAUSTED 100 for over-limit,
 * BAD_REQUEST 40, BAD_RESPONSE 50, SERVER_ERROR 80 for internal, SERVICE_ERROR 70 for upstream
 * failures) and the message as a Hessian2 string body, as a Dubbo provider answers a failed call.
 * For input that could not be decoded, the reply carries the id of the frame being rejected when its
 * header was read. None for one-way requests.
 *
 * Heartbeats: the reply is an event response, status 20, same id, body Hessian null (`N`); probes are
 * two-way event requests with a null body.
 *
 * Checks: a client's request is read as a provider reads it (header fields, one argument per parameter
 * type, attachments ending the body; Hessian refs and type references naming earlier values) as its
 * bytes arrive; a malformed one, a response frame from a client, or one over a limit is answered
 * with BAD_REQUEST for its id and the connection is closed, so it never reaches a provider
 * connection that other clients share.
 *
 * Config (optional): `{ maxBodySize?: number (default 8 MiB), maxDepth?: number (default 512),
 * maxHeaders?: number (attachments, default 128), maxHeaderBytes?: number (the attachments map, and a
 * request's fields before its arguments, default 64 KiB) }`.
 */
import type { CodecFactory } from '../../codec/codec.js';
import { DUBBO_CODEC_CAPABILITIES, DUBBO_CODEC_NAME } from './codec-name.js';
import { parseDubboCodecConfig } from './codec-config.js';
import { DubboCodec } from './dubbo-codec.js';

/** The Dubbo codec's registration (`aeraki.meta_protocol.codec.dubbo`); see the module comment above. */
export const dubboCodecFactory: CodecFactory = {
  name: DUBBO_CODEC_NAME,
  capabilities: DUBBO_CODEC_CAPABILITIES,
  create: (side, config) => new DubboCodec(parseDubboCodecConfig(config), side),
};

export { DubboCodec } from './dubbo-codec.js';
export type { DubboCodecConfig } from './codec-config.js';
export { AttachmentsLayout, DubboMessageState } from './message-state.js';
