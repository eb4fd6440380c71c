/**
 * Dubbo heartbeats are events with a Hessian null body:
 *
 *   probe := header(flags = request | two-way | event | hessian2 = 0xe2, status 0, id, length 1) 'N'
 *   reply := header(flags = event | hessian2 = 0x22, status OK (20), same id, length 1) 'N'
 *
 * An event request without the two-way flag expects no reply (the read-only event, events.ts, is
 * decoded as `goaway` and never gets here).
 */
import type { RequestId } from '../../codec/request-id.js';
import { writeFrameHeader } from './frame-header.js';
import { TAG_NULL } from './hessian-tags.js';
import {
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_SIZE,
  SERIALIZATION_HESSIAN2,
  STATUS_OK,
} from './wire-constants.js';

const NO_REPLY = Buffer.alloc(0);

function eventFrame(flags: number, status: number, requestId: RequestId): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + 1);
  writeFrameHeader(out, flags, status, requestId, 1);
  out[HEADER_SIZE] = TAG_NULL;
  return out;
}

/** A heartbeat probe with `requestId`. */
export function heartbeatProbe(requestId: number): Buffer {
  return eventFrame(FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | SERIALIZATION_HESSIAN2, 0, requestId);
}

/** The reply to a heartbeat with `requestId` and header `flags`: empty when it is not two-way. */
export function heartbeatReply(flags: number, requestId: RequestId): Buffer {
  if ((flags & FLAG_TWO_WAY) === 0) return NO_REPLY;
  return eventFrame(FLAG_EVENT | SERIALIZATION_HESSIAN2, STATUS_OK, requestId);
}
