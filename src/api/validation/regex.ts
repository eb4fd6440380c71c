/**
 * Regular expressions in config follow RE2 (what Istio and Aeraki users write): lookarounds and
 * backreferences are rejected, as RE2 rejects them.
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

const require = createRequire(import.meta.url);

/**
 * RE2JS, loaded on first use and with `require`, as the data plane loads it (xds/re2.ts): one copy of
 * the package when a process runs both.
 */
function re2js(): typeof Re2js.RE2JS {
  return (require('re2js') as typeof Re2js).RE2JS;
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
