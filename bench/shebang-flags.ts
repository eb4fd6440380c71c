/**
 * The node flags `bin/aeraki` runs with when executed (its `#!/usr/bin/env -S node …` line), for the
 * benchmarks that start it as `node bin/aeraki`: measured as users run it.
 */
import { readFileSync } from 'node:fs';

/** The node flags in `bin`'s first line; none when it has no `env -S node` shebang. */
export function shebangNodeFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(?:\s+(.*))?$/.exec(first);
  return m?.[1]?.split(/\s+/).filter(flag => flag !== '') ?? [];
}
