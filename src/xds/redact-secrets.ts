/**
 * Config dumps without credentials: the values of the fields that carry Redis passwords (ours and
 * Envoy's, which Envoy marks `udpa.annotations.sensitive` and redacts from its own config dumps)
 * are replaced by `[REDACTED]`, whatever their shape.
 */
const SENSITIVE = new Set([
  'password',
  'passwords',
  'auth_password',
  'downstream_auth_password',
  'downstream_auth_passwords',
]);

export const REDACTED = '[REDACTED]';

/** A copy of a JSON-like value with every sensitive field's value redacted. */
export function redactSecrets<T>(value: T): T {
  return redact(value) as T;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SENSITIVE.has(key) ? REDACTED : redact(item);
  return out;
}
