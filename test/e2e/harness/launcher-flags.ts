/**
 * How `bin/aeraki` starts node for a command, read from its launcher lines (lines of the form
 * `':' //; case "$1" in up|proxy) …;; esac`), for the tests and benchmarks that start it as
 * `node FLAGS bin/aeraki COMMAND`: measured and tested as users run it.
 *
 * - the node flags: `up|proxy) exec node FLAGS "$0" "$@";;`, where a value may be `"${VAR:-DEFAULT}"`
 * - the memory allocator: `up|proxy) [ -n "$LD_PRELOAD$AERAKI_NO_JEMALLOC" ] || for lib in PATHS; do
 *   [ -r "$lib" ] && export LD_PRELOAD="$lib" MALLOC_CONF="${MALLOC_CONF-CONF}" && break; done;;`
 */
import { accessSync, constants, readFileSync } from 'node:fs';

/** The `case` lines of the launcher, each as its branches: the commands they match and their text. */
function launcherBranches(bin: string): { commands: string[]; body: string }[] {
  const branches: { commands: string[]; body: string }[] = [];
  for (const line of readFileSync(bin, 'utf8').split('\n')) {
    const cases = /^':' \/\/; case "\$1" in (.*) esac/.exec(line)?.[1];
    if (cases === undefined) continue;
    for (const branch of cases.matchAll(/([\w|-]+)\) (.*?);;/g)) {
      branches.push({ commands: branch[1]!.split('|'), body: branch[2]! });
    }
  }
  return branches;
}

/**
 * The node flags `bin` uses for `command` with the environment `env` (a flag's value may be a
 * variable with a default, `"${AERAKI_SEMI_SPACE_MIB:-4}"`); none when its launcher gives it none.
 */
export function launcherNodeFlags(
  bin: string,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  for (const { commands, body } of launcherBranches(bin)) {
    const flags = /^exec node (.*?)"\$0" "\$@"$/.exec(body)?.[1];
    if (flags === undefined || !commands.includes(command)) continue;
    const expanded = flags.replace(/"\$\{(\w+):-([^}"]*)\}"/g, (_, name: string, fallback: string) => {
      const value = env[name];
      return value === undefined || value === '' ? fallback : value;
    });
    return expanded.split(/\s+/).filter(f => f !== '');
  }
  return [];
}

/**
 * The variables `bin` adds to the environment of `command` (jemalloc as the allocator, when one of
 * the launcher's library paths is readable and `env` sets neither LD_PRELOAD nor AERAKI_NO_JEMALLOC).
 */
export function launcherEnvironment(
  bin: string,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  if ((env['LD_PRELOAD'] ?? '') + (env['AERAKI_NO_JEMALLOC'] ?? '') !== '') return {};
  for (const { commands, body } of launcherBranches(bin)) {
    if (!commands.includes(command)) continue;
    const m = /for lib in (.*?); do .*MALLOC_CONF="\$\{MALLOC_CONF-(.*?)\}"/.exec(body);
    if (m === null) continue;
    const lib = m[1]!.split(/\s+/).find(path => readable(path));
    if (lib === undefined) return {};
    return { LD_PRELOAD: lib, MALLOC_CONF: env['MALLOC_CONF'] ?? m[2]! };
  }
  return {};
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
