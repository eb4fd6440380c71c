/**
 * The node flags `bin/aeraki` starts node with for a command, read from its launcher line
 * (`case "$1" in up|proxy) exec node FLAGS "$0" "$@";; esac`), for the benchmarks that start it as
 * `node bin/aeraki COMMAND`: measured as users run it.
 */
import { readFileSync } from 'node:fs';

/** The node flags `bin` uses for `command`; none when its launcher line gives it none. */
export function launcherNodeFlags(bin: string, command: string): string[] {
  const m = /case "\$1" in ([\w|-]+)\) exec node ([^"]*)"\$0"/.exec(readFileSync(bin, 'utf8'));
  if (m === null || !m[1]!.split('|').includes(command)) return [];
  return m[2]!.split(/\s+/).filter(flag => flag !== '');
}
