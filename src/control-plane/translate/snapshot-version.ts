/**
 * A snapshot's version is a hash of its content, so equal configs get equal versions and any change
 * gets a new one (Aeraki's Unix-seconds version lost updates made within one second).
 */
import { ChunkedHash } from '../chunked-hash.js';

/** JSON with object keys sorted at every level; `undefined` members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map(v => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter(k => (value as Record<string, unknown>)[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** First 16 hex digits of the SHA-256 of the canonical JSON of `content`. */
export function contentVersion(content: unknown): string {
  const hash = new ChunkedHash();
  // The same bytes as canonicalJson(content), piece by piece: a large snapshot never becomes one string.
  writeCanonical(content, 2, piece => hash.add(piece));
  return hash.hex(16);
}

/** canonicalJson(value) as pieces: containers down to `depth` piece by piece, deeper ones whole. */
function writeCanonical(value: unknown, depth: number, emit: (piece: string) => void): void {
  if (depth === 0 || typeof value !== 'object' || value === null) {
    emit(canonicalJson(value));
  } else if (Array.isArray(value)) {
    emit('[');
    value.forEach((v, i) => {
      if (i > 0) emit(',');
      if (v === undefined) emit('null');
      else writeCanonical(v, depth - 1, emit);
    });
    emit(']');
  } else {
    emit('{');
    let first = true;
    for (const k of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[k];
      if (member === undefined) continue;
      emit(`${first ? '' : ','}${JSON.stringify(k)}:`);
      first = false;
      writeCanonical(member, depth - 1, emit);
    }
    emit('}');
  }
}

/**
 * `content` with a `version` member equal to contentVersion(content), computed on first read. Hashing
 * a whole snapshot takes longer than translating it (about a second at 10,000 services), and the
 * control plane does not need it: it versions what it serves per xDS type, from per-resource digests.
 */
export function withContentVersion<T extends object>(content: T): T & { readonly version: string } {
  const snapshot = {} as T & { readonly version: string };
  Object.defineProperty(snapshot, 'version', {
    enumerable: true,
    configurable: true,
    get(this: object): string {
      const version = contentVersion(content);
      Object.defineProperty(this, 'version', { value: version, enumerable: true, writable: false });
      return version;
    },
  });
  return Object.assign(snapshot, content);
}
