/**
 * Reads the Hessian2 body of a Dubbo response with status OK (`DecodeableRpcResult` order):
 *
 *   body := type:int ( 0: exception                    1: value         2: (nothing)
 *                    | 3: exception attachments        4: value attachments
 *                    | 5: attachments )
 *
 * Types 0 and 3 report an exception thrown by the provider. The value or exception is skipped, and
 * only for types 3 and 4, to reach the attachments (see attachments-reader.ts), which become
 * metadata. Bodies of other statuses hold an error message and are not read.
 */
import type { Metadata } from '../../codec/message.js';
import { malformed } from '../../errors.js';
import { readAttachments } from './attachments-reader.js';
import type { HessianReader } from './hessian-reader.js';
import type { HessianSkipper } from './hessian-skipper.js';
import { DubboMessageState } from './message-state.js';
import {
  HEADER_SIZE,
  RESPONSE_NULL_VALUE_WITH_ATTACHMENTS,
  RESPONSE_WITH_EXCEPTION,
  RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS,
} from './wire-constants.js';

/** Decodes the body of the OK response the reader holds into `metadata`; returns its state. */
export function readResponseBody(
  reader: HessianReader,
  skipper: HessianSkipper,
  flags: number,
  status: number,
  metadata: Metadata,
): DubboMessageState {
  const type = reader.int(HEADER_SIZE);
  const typeEnd = reader.next;
  if (type < RESPONSE_WITH_EXCEPTION || type > RESPONSE_NULL_VALUE_WITH_ATTACHMENTS) {
    throw malformed(`dubbo response type ${type} is unknown`);
  }
  let attachments;
  if (type >= RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS) {
    skipper.reset();
    const at = type === RESPONSE_NULL_VALUE_WITH_ATTACHMENTS ? typeEnd : skipper.skip(typeEnd);
    if (at === reader.end) throw malformed(`dubbo response of type ${type} has no attachments`);
    attachments = readAttachments(reader, skipper, at, metadata);
  }
  return new DubboMessageState(flags, status, '', '', '', '', '', type, typeEnd, attachments);
}
