/**
 * Dubbo events: frames with the event flag, whose body is one Hessian value, the event's data.
 *
 *   heartbeat := event request, data null ('N')          (two-way: answered; see heartbeat.ts)
 *   read-only := event request, data the string "R"      (one-way)
 *
 * A provider that shuts down gracefully sends the read-only event on each of its connections
 * (Dubbo's `HeaderExchangeServer.close` with a timeout): it takes no new request there, still answers
 * those it has, and closes once its clients have gone. A Dubbo consumer marks the channel read-only
 * and sends it nothing more; the codec reports the event as `goaway` so that the proxy does the same.
 * Any other event request is treated as a heartbeat, as before.
 */
import type { HessianReader } from './hessian-reader.js';
import { isStringTag } from './hessian-tags.js';
import { HEADER_SIZE } from './wire-constants.js';

/** Dubbo's `READONLY_EVENT`, the data of the read-only event. */
const READ_ONLY_DATA = 'R';

/** Whether the event request in `bytes` (a whole frame of `frameLength` bytes) is the read-only event. */
export function isReadOnlyEvent(reader: HessianReader, bytes: Buffer, frameLength: number): boolean {
  if (frameLength <= HEADER_SIZE || !isStringTag(bytes[HEADER_SIZE]!)) return false;
  reader.reset(bytes, frameLength);
  try {
    return reader.string(HEADER_SIZE) === READ_ONLY_DATA;
  } finally {
    reader.release();
  }
}
