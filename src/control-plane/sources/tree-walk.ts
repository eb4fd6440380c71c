/**
 * Walks a config tree: every `*.yaml` / `*.yml` file under a directory (or the one file), in sorted
 * path order, with what its stat says about its content; and, for a watch, every directory whose
 * events can change what the walk finds.
 *
 * Entries whose name starts with `.` are skipped (editor swap files, `.git`, and the `..data` link
 * farm of a Kubernetes ConfigMap mount, whose top-level links to the files are followed instead).
 * Symlinks are followed; a directory reached twice (a link cycle) is walked once.
 *
 * The walk is also the periodic re-scan, so it is made cheap: synchronous stats (a few microseconds
 * each, against more than ten through the thread pool and a promise), yielding to the event loop
 * between directories once a slice has run for a few milliseconds.
 */
import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ConfigIssue } from '../../api/index.js';
import type { WatchedDirectory } from './directory-watches.js';

/** A YAML file found by the walk, with what its stat says about its content. */
export interface ListedFile {
  readonly path: string;
  /** Device, inode, size, mtime and ctime: any write, rename over or ConfigMap swap changes one. */
  readonly stamp: string;
  readonly mtimeMs: number;
  /** The size in bytes the stat gave. */
  readonly size: number;
}

export interface TreeWalk {
  readonly files: readonly ListedFile[];
  /** Entries that could not be read (the root missing, a broken symlink, a directory denied). */
  readonly issues: readonly ConfigIssue[];
  /** What to watch, when asked for: see {@link walkTree}. */
  readonly directories?: ReadonlyMap<string, WatchedDirectory>;
}

/** The longest the walk holds the event loop before it yields. */
const SLICE_MS = 4;

const YAML_FILE = /\.ya?ml$/i;

/**
 * Walks `root`. With `watch`, also collects what to watch: every directory walked, the directory
 * holding the root (a root removed and made again, or a swapped symlink), and the real directory of
 * every symlinked file.
 */
export async function walkTree(root: string, watch: boolean): Promise<TreeWalk> {
  const issues: ConfigIssue[] = [];
  const directories = watch ? new Map<string, WatchedDirectory>() : undefined;
  if (directories !== undefined) watchEntry(directories, root, true);
  let rootStat: Stats;
  try {
    rootStat = statSync(root);
  } catch (err) {
    issues.push(ioIssue(root, err));
    return { files: [], issues, ...(directories === undefined ? {} : { directories }) };
  }
  if (!rootStat.isDirectory()) {
    return { files: [listed(root, rootStat)], issues, ...(directories === undefined ? {} : { directories }) };
  }
  const files: ListedFile[] = [];
  const visited = new Set<string>();
  let sliceStart = performance.now();
  const walk = async (dir: string, dirStat: Stats): Promise<void> => {
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    const key = `${dirStat.dev}:${dirStat.ino}`;
    if (visited.has(key)) return;
    visited.add(key);
    let dirents: Dirent[];
    try {
      dirents = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      issues.push(ioIssue(dir, err));
      return;
    }
    if (directories !== undefined) watchDirectory(directories, dir, identityOf(dirStat));
    const entries = dirents
      .filter(entry => !entry.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      let stats: Stats;
      try {
        stats = statSync(path);
      } catch (err) {
        issues.push(ioIssue(path, err));
        continue;
      }
      if (stats.isDirectory()) {
        await walk(path, stats);
      } else if (stats.isFile() && YAML_FILE.test(entry.name)) {
        files.push(listed(path, stats));
        if (directories !== undefined && entry.isSymbolicLink()) watchEntry(directories, path, true);
      }
    }
  };
  await walk(root, rootStat);
  return { files, issues, ...(directories === undefined ? {} : { directories }) };
}

function listed(path: string, stats: Stats): ListedFile {
  return {
    path,
    // Times in milliseconds with a fraction: a double keeps them to a quarter of a microsecond,
    // finer than any file system's clock tick.
    stamp: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`,
    mtimeMs: stats.mtimeMs,
    size: stats.size,
  };
}

/** Device, inode and birth time: changes when another directory takes the path. */
function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`;
}

/**
 * Adds a directory to watch: every event in it counts when `name` is absent, else only events
 * naming one of the names added for it.
 */
function watchDirectory(
  directories: Map<string, WatchedDirectory>,
  path: string,
  identity: string,
  name?: string,
): void {
  const known = directories.get(path);
  if (name === undefined || (known !== undefined && known.names === undefined)) {
    directories.set(path, { identity });
    return;
  }
  directories.set(path, { identity, names: new Set([...(known?.names ?? []), name]) });
}

/** Watches the directory that holds `path` for events naming it (the real one too, for a symlink). */
function watchEntry(directories: Map<string, WatchedDirectory>, path: string, symlink: boolean): void {
  const paths = [path];
  if (symlink) {
    try {
      const real = realpathSync(path);
      if (real !== path) paths.push(real);
    } catch {
      // A broken link: the walk reports it; its directory is watched through `path`.
    }
  }
  for (const entry of paths) {
    const parent = dirname(entry);
    if (parent === entry) continue;
    try {
      watchDirectory(directories, parent, identityOf(statSync(parent)), basename(entry));
    } catch {
      // The parent went away meanwhile: nothing there to watch.
    }
  }
}

/** A file or directory that could not be read, as a config issue naming it. */
export function ioIssue(file: string, err: unknown): ConfigIssue {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'EACCES'
        ? 'permission denied'
        : String((err as Error).message);
  return {
    severity: 'error',
    file,
    line: 1,
    column: 1,
    documentIndex: -1,
    kind: '',
    name: '',
    field: '',
    rule: 'config-io',
    message: `cannot read ${file}: ${reason}`,
  };
}
