/**
 * RE2JS (RE2's syntax, which Envoy's `safe_regex` and Istio's regex matches use), loaded on first
 * use: a proxy whose routes match no regular expression never holds it.
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

const require = createRequire(import.meta.url);
let loaded: typeof Re2js.RE2JS | undefined;

/**
 * With `require`, because patterns are compiled synchronously (while a route is decoded or a route
 * table built). Every caller gets the same module (the package's CommonJS build), also when the
 * control plane's checks load it.
 */
export function re2js(): typeof Re2js.RE2JS {
  return (loaded ??= (require('re2js') as typeof Re2js).RE2JS);
}
