/**
 * Which request and response attributes observers see only as `[REDACTED]`. Clients put credentials
 * in headers the codecs turn into attributes (a Dubbo attachment `token`, a THeader `authorization`),
 * and `aeraki tap`, the admin API's `/tap` and the access log show attributes to whoever can read
 * them, so those values are hidden unless the operator says otherwise.
 *
 * An attribute is redacted when its name (attribute names are lower-case) contains one of the name
 * parts, or equals one of the names.
 */
import { REDACTED } from './access-log-entry.js';

/** Name parts redacted by default: names that carry credentials or session state in practice. */
export const DEFAULT_REDACTED_NAME_PARTS: readonly string[] = Object.freeze([
  'token',
  'password',
  'passwd',
  'secret',
  'authorization',
  'cookie',
  'credential',
  'apikey',
  'api-key',
  'api_key',
  'session',
]);

/** What to redact, as plain data (it crosses to the access log's worker thread). */
export interface RedactionSpec {
  /** A name containing one of these (case-insensitive) is redacted. */
  readonly nameParts: readonly string[];
  /** A name equal to one of these (case-insensitive) is redacted. */
  readonly names: readonly string[];
}

/** The default: {@link DEFAULT_REDACTED_NAME_PARTS}, no exact names. */
export const DEFAULT_REDACTION: RedactionSpec = Object.freeze({
  nameParts: DEFAULT_REDACTED_NAME_PARTS,
  names: Object.freeze([]),
});

/** `spec` with `names` added to its exact names. */
export function withNames(spec: RedactionSpec, names: readonly string[]): RedactionSpec {
  return names.length === 0 ? spec : { nameParts: spec.nameParts, names: [...spec.names, ...names] };
}

/**
 * Answers are remembered per name, since a proxy sees few distinct attribute names; a peer that sends
 * a new name with every request only makes the memo start over when it reaches this size.
 */
const MAX_REMEMBERED_NAMES = 1024;

export class AttributeRedaction {
  private readonly nameParts: readonly string[];
  private readonly names: ReadonlySet<string>;
  private readonly remembered = new Map<string, boolean>();

  constructor(readonly spec: RedactionSpec = DEFAULT_REDACTION) {
    this.nameParts = spec.nameParts.map(part => part.toLowerCase()).filter(part => part !== '');
    this.names = new Set(spec.names.map(name => name.toLowerCase()));
  }

  /** Whether the value of attribute `name` (lower-case, as codecs report names) is hidden. */
  redacts(name: string): boolean {
    let answer = this.remembered.get(name);
    if (answer === undefined) {
      answer = this.names.has(name) || this.nameParts.some(part => name.includes(part));
      if (this.remembered.size >= MAX_REMEMBERED_NAMES) this.remembered.clear();
      this.remembered.set(name, answer);
    }
    return answer;
  }

  /** `value`, or `[REDACTED]` when attribute `name` is hidden. */
  valueOf(name: string, value: string): string {
    return this.redacts(name) ? REDACTED : value;
  }

  /** A copy of `attributes` with hidden values replaced. */
  applyTo(attributes: Readonly<Record<string, string>>): Record<string, string> {
    // fromEntries, not assignment: an attribute may be named `__proto__`.
    return Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, this.valueOf(name, value)]),
    );
  }
}
