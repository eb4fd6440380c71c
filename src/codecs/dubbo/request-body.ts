/**
 * Reads the Hessian2 body of a Dubbo request (`DecodeableRpcInvocation` order):
 *
 *   body := dubbo-version:string service-path:string service-version:string method:string
 *           [dubbox-marker:int] parameter-types:string argument* attachments
 *
 * with one argument per type in `parameter-types` (see parameter-types.ts) and attachments as in
 * attachments-reader.ts. The arguments are skipped, never decoded. (dubbox clients write an int
 * after the method name; it is skipped.)
 *
 * Metadata, in the order Dubbo's provider applies it: `version` from the body's service-version field
 * when it is not empty, then every attachment (an attachment `version` wins, as in Dubbo), then
 * `interface` (the service path) and `method`, which attachments cannot override.
 */
import type { Metadata } from '../../codec/message.js';
import type { HessianReader } from './hessian-reader.js';
import type { HessianSkipper } from './hessian-skipper.js';
import { isIntTag } from './hessian-tags.js';
import { readAttachments } from './attachments-reader.js';
import { DubboMessageState } from './message-state.js';
import { countParameterTypes } from './parameter-types.js';
import { HEADER_SIZE } from './wire-constants.js';

/** Decodes the request body of the frame the reader holds into `metadata`; returns its state. */
export function readRequestBody(
  reader: HessianReader,
  skipper: HessianSkipper,
  flags: number,
  metadata: Metadata,
): DubboMessageState {
  const dubboVersion = reader.string(HEADER_SIZE);
  const serviceName = reader.string(reader.next);
  const serviceVersion = reader.string(reader.next);
  const methodName = reader.string(reader.next);
  let at = reader.next;
  if (isIntTag(reader.tag(at))) {
    reader.int(at);
    at = reader.next;
  }
  const parameterTypes = reader.string(at);
  at = reader.next;
  const count = countParameterTypes(parameterTypes);
  skipper.reset();
  for (let i = 0; i < count; i++) at = skipper.skip(at);
  if (serviceVersion !== '') metadata.set('version', serviceVersion);
  const attachments = readAttachments(reader, skipper, at, metadata);
  metadata.set('interface', serviceName);
  metadata.set('method', methodName);
  return new DubboMessageState(
    flags,
    0,
    dubboVersion,
    serviceName,
    serviceVersion,
    methodName,
    parameterTypes,
    -1,
    -1,
    attachments,
  );
}
