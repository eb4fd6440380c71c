/**
 * Regular expressions in config follow RE2 (what Istio and Aeraki users write): lookarounds and
 * backreferences are rejected, as RE2 rejects them.
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

const require = createRequire(import.meta.url);
let loaded: typeof Re2js.RE2JS | undefined;

/**
 * RE2JS (RE2's syntax, which Envoy's `safe_regex` and Istio's regex matches use), loaded on first
 * use: a proxy whose routes match no regular expression never holds it. With `require`, because
 * patterns are compiled synchronously (while a route is decoded or a route table built); the data
 * plane's matchers and the config checks share this one loader.
 */
export function re2js(): typeof Re2js.RE2JS {
  return (loaded ??= (require('re2js') as typeof Re2js).RE2JS);
}

/** Why `pattern` does not compile under RE2, or `undefined` if it does. */
export function re2Problem(pattern: string): string | undefined {
  try {
    re2js().compile(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
