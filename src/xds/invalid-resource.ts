/**
 * Errors for xDS resources that cannot be used. The message names the resource, the field path and the
 * rule, e.g. `Listener "127.0.0.1_9090": address.socket_address.port_value: must be 1–65535, got 0`, and
 * is what a proxy puts in a NACK's error_detail.
 */
import { AerakiError, ErrorCodes } from '../errors.js';

/** Builds the error for one field of one resource. */
export function invalidResource(resource: string, path: string, reason: string): AerakiError {
  const where = path === '' ? resource : `${resource}: ${path}`;
  return new AerakiError(ErrorCodes.XDS_INVALID_RESOURCE, `${where}: ${reason}`);
}

/** `Kind "name"`, or `Kind #index` for a resource without a name. */
export function resourceLabel(kind: string, name: string | undefined, index?: number): string {
  if (name !== undefined && name !== '') return `${kind} ${JSON.stringify(name)}`;
  return index === undefined ? kind : `${kind} #${index}`;
}

/** The message of any thrown value, for error_detail. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
