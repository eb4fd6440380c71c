/**
 * Whether a Dubbo client reads attachments in responses, from the protocol version it writes first
 * in its request bodies. Dubbo's rule (`Version.isSupportResponseAttachment`): versions are compared
 * as integers with two decimal digits per part (`2.0.2` → 2000200, a three-part version scaled as
 * four parts), and protocol versions 2.0.2 to 2.0.99 support response attachments; anything else
 * (older protocols, or the framework versions 2.0.10–2.6.2 some clients wrote there) does not.
 */

const LOWEST_WITH_RESPONSE_ATTACHMENTS = 2_00_02_00;
const HIGHEST_PROTOCOL_VERSION = 2_00_99_00;

/** Dubbo's integer form of a dotted version; parts keep their leading digits only. */
function versionNumber(version: string): number {
  const parts = version.split('.');
  let value = 0;
  for (const part of parts) {
    const digits = /^\d*/.exec(part)?.[0] ?? '';
    value = value * 100 + (digits === '' ? 0 : Number(digits));
  }
  return parts.length === 3 ? value * 100 : value;
}

/** Whether a client writing `version` in its requests reads response attachments. */
export function supportsResponseAttachments(version: string): boolean {
  if (version === '') return false;
  const value = versionNumber(version);
  return value >= LOWEST_WITH_RESPONSE_ATTACHMENTS && value <= HIGHEST_PROTOCOL_VERSION;
}
