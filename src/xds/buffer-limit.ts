import { invalidResource } from './invalid-resource.js';
import type { ProtoObject } from './proto-message.js';
import { wrapperValue } from './well-known.js';

/**
 * A listener's or cluster's `per_connection_buffer_limit_bytes`, or `undefined` when unset. 0 would
 * pause every connection after its first byte, so it is refused.
 */
export function bufferLimitBytes(resource: ProtoObject, label: string): number | undefined {
  const wrapper = resource['per_connection_buffer_limit_bytes'];
  if (wrapper === undefined || wrapper === null) return undefined;
  const value = wrapperValue<number>(wrapper) ?? 0;
  if (!(value > 0)) {
    throw invalidResource(label, 'per_connection_buffer_limit_bytes', `must be more than 0, got ${value}`);
  }
  return value;
}
