/**
 * Regular expressions in config follow RE2 (what Istio and Aeraki users write): lookarounds and
 * backreferences are rejected, as RE2 rejects them.
 */
import { RE2JS } from 're2js';

/** Why `pattern` does not compile under RE2, or `undefined` if it does. */
export function re2Problem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
