/**
 * Reads CPU time and memory of a process and its descendants from /proc (Linux only). The benchmark
 * uses it to report what each process (server, proxy) spent during a measured run.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time of a process tree, in seconds. */
export interface CpuTime {
  user: number;
  sys: number;
}

const confValues = new Map<string, number>();

/** A system configuration value (`getconf NAME`), once per process; `fallback` if it cannot be read. */
export function getconf(name: string, fallback: number): number {
  let value = confValues.get(name);
  if (value === undefined) {
    try {
      value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
    } catch {
      value = fallback;
    }
    confValues.set(name, value);
  }
  return value;
}

function ticksPerSecond(): number {
  return getconf('CLK_TCK', 100);
}

/** The fields of /proc/PID/stat (or a thread's stat) after the command name (whose parentheses may contain spaces). */
function statFields(pid: number, path = `/proc/${pid}/stat`): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** `pid` and every live descendant of it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const fields = statFields(child);
    const parent = fields === undefined ? NaN : Number(fields[1]);
    if (!Number.isInteger(parent)) continue;
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [child]);
    else list.push(child);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const child of children.get(tree[i] as number) ?? []) tree.push(child);
  }
  return tree;
}

/** Summed user and system CPU time of `pid` and its descendants (children that already exited are lost). */
export function treeCpu(pid: number): CpuTime {
  const hz = ticksPerSecond();
  const total: CpuTime = { user: 0, sys: 0 };
  for (const p of processTree(pid)) {
    const fields = statFields(p);
    if (fields === undefined) continue;
    // Fields 14 and 15 of stat (utime, stime); the slice starts at field 3.
    total.user += Number(fields[11]) / hz;
    total.sys += Number(fields[12]) / hz;
  }
  return total;
}

/**
 * User and system CPU time of a process's main thread alone, in seconds. A Node proxy serves every
 * request on that thread, so its time per request bounds throughput; helper threads (an access log's
 * worker, the collector's) run beside it on the other core.
 */
export function mainThreadCpu(pid: number): CpuTime {
  const fields = statFields(pid, `/proc/${pid}/task/${pid}/stat`);
  if (fields === undefined) return { user: 0, sys: 0 };
  const hz = ticksPerSecond();
  return { user: Number(fields[11]) / hz, sys: Number(fields[12]) / hz };
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** Current resident set of a process tree, in MiB. */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusKb(p, 'VmRSS'), 0) / 1024;
}

/** Peak resident set (VmHWM) summed over a process tree, in MiB: an upper bound of the tree's peak. */
export function treePeakRssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusKb(p, 'VmHWM'), 0) / 1024;
}

/**
 * CPU time every process on the machine has used since boot (/proc/stat), as user (user + nice) and
 * sys (system + irq + softirq + steal): compared with the benchmark's own processes it shows how much
 * CPU something else took during a run.
 */
export function machineCpu(): CpuTime {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const hz = ticksPerSecond();
  return { user: (user + nice) / hz, sys: (system + irq + softirq + steal) / hz };
}

/** CPU spent between two samples, in seconds. */
export function cpuDelta(before: CpuTime, after: CpuTime): CpuTime {
  return { user: after.user - before.user, sys: after.sys - before.sys };
}
