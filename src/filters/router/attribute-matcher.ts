import { re2js } from '../../api/validation/regex.js';
import type { Metadata } from '../../codec/index.js';
import type { AttributeMatcher } from '../../xds/resources.js';

/** A matcher compiled once per route table; `test` runs on every request. */
export interface CompiledAttributeMatcher {
  readonly source: AttributeMatcher;
  test(metadata: Metadata): boolean;
}

/** Why a matcher did not match, for `explain`-style diagnostics. */
export function describeMismatch(matcher: AttributeMatcher, metadata: Metadata): string {
  const value = metadata.get(matcher.name);
  if (value === undefined) return `attribute '${matcher.name}' is absent`;
  switch (matcher.kind) {
    case 'present':
      return '';
    case 'exact':
      return `attribute '${matcher.name}' is '${value}', not '${matcher.value}'`;
    case 'prefix':
      return `attribute '${matcher.name}' is '${value}', which does not start with '${matcher.value}'`;
    case 'regex':
      return `attribute '${matcher.name}' is '${value}', which does not match /${matcher.value}/`;
  }
}

/**
 * Compiles one matcher. Regexes use RE2 semantics (what Istio and Aeraki users write) and must match
 * the whole value, as Envoy's `safe_regex` does. Throws if the regex is not valid RE2; config
 * validation rejects such rules before they get here.
 */
export function compileAttributeMatcher(matcher: AttributeMatcher): CompiledAttributeMatcher {
  const name = matcher.name.toLowerCase();
  switch (matcher.kind) {
    case 'present':
      return { source: matcher, test: metadata => metadata.has(name) };
    case 'exact': {
      const expected = matcher.value;
      return { source: matcher, test: metadata => metadata.get(name) === expected };
    }
    case 'prefix': {
      const prefix = matcher.value;
      return {
        source: matcher,
        test: metadata => {
          const value = metadata.get(name);
          return value !== undefined && value.startsWith(prefix);
        },
      };
    }
    case 'regex': {
      const pattern = re2js().compile(matcher.value);
      return {
        source: matcher,
        test: metadata => {
          const value = metadata.get(name);
          return value !== undefined && pattern.matches(value);
        },
      };
    }
  }
}

/** Whether every matcher matches (true for none); a plain loop, as it runs per request. */
export function matchesAll(matchers: readonly CompiledAttributeMatcher[], metadata: Metadata): boolean {
  for (let i = 0; i < matchers.length; i++) if (!matchers[i]!.test(metadata)) return false;
  return true;
}
