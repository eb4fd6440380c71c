/**
 * The node flags `bin/aeraki` starts node with for a command, read from its launcher line
 * (`case "$1" in up|proxy) exec node FLAGS "$0" "$@";; control-plane) exec node FLAGS "$0" "$@";;
 * esac`), for the benchmarks that start it as `node bin/aeraki COMMAND`: measured as users run it.
 */
import { readFileSync } from 'node:fs';

/** The node flags `bin` uses for `command`; none when its launcher line gives it none. */
export function launcherNodeFlags(bin: string, command: string): string[] {
  const line = /case "\$1" in (.*?) esac/.exec(readFileSync(bin, 'utf8'))?.[1] ?? '';
  for (const branch of line.matchAll(/([\w|-]+)\) exec node ([^"]*)"\$0" "\$@";;/g)) {
    if (branch[1]!.split('|').includes(command)) return branch[2]!.split(/\s+/).filter(flag => flag !== '');
  }
  return [];
}
