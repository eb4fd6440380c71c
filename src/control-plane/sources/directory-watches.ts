/**
 * Change events for a set of directories, from one non-recursive `fs.watch` per directory.
 *
 * Directories, not files: on Linux `fs.watch` is an inotify watch, and an inotify watch follows an
 * inode. A file replaced by rename (editors, `sed -i`, config-management tools, atomic writers, a
 * ConfigMap's `..data` swap) is a new inode behind the old name, and a watch on the old inode hears
 * nothing more. Node 20's `recursive: true` on Linux is emulated in JavaScript with such a watch per
 * file, and its directory watches report a name only the first time it appears, so a file renamed
 * over once was never followed again. A directory's own watch reports every entry created, written,
 * renamed in or out, or deleted, by name, whatever inode is behind the name.
 *
 * A directory can itself be replaced (removed and made again, renamed over, or reached through a
 * symlink that was swapped). Its identity (device, inode and birth time: ext4 hands a removed
 * directory's inode straight to the next one made) is compared on every update, and an event about
 * the directory itself (deleted, moved) marks its watch for re-arming, for file systems that have
 * no birth time.
 *
 * Not a library: measured under the same rename storm, chokidar 5 (a watch per file) lost the last
 * edit, and @parcel/watcher (a native addon) kept it but batches events about 50 ms and does not
 * follow symlinked directories; this needs neither a dependency nor a native build.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';

/** A directory to watch. */
export interface WatchedDirectory {
  /** Changes when another directory takes its path: device, inode and birth time. */
  readonly identity: string;
  /** Only events naming one of these entries count; every event counts when absent. */
  readonly names?: ReadonlySet<string>;
}

interface ArmedWatch {
  readonly identity: string;
  readonly watcher: FSWatcher;
  names: ReadonlySet<string> | undefined;
  /** An event said the directory itself went away or moved: arm again on the next update. */
  stale: boolean;
}

export class DirectoryWatches {
  private readonly armed = new Map<string, ArmedWatch>();
  /** Directories that could not be watched, with why; each is reported once until it succeeds. */
  private readonly failed = new Map<string, string>();
  private closed = false;

  /**
   * @param onEvent called on every relevant change in a watched directory (and when a watch breaks),
   *   synchronously from the watcher's event: keep it cheap.
   * @param onFailure called once per directory that cannot be watched (e.g. ENOSPC: the inotify
   *   watch limit, fs.inotify.max_user_watches), until it can be again.
   */
  constructor(
    private readonly onEvent: () => void,
    private readonly onFailure: (directory: string, error: Error) => void = () => {},
  ) {}

  /** How many directories are watched now. */
  get size(): number {
    return this.armed.size;
  }

  /** Directories that could not be watched, with the reason. */
  get failures(): ReadonlyMap<string, string> {
    return this.failed;
  }

  /**
   * Watches exactly `directories` (path → what it should be): arms new ones, re-arms replaced or
   * stale ones, closes the others. Returns how many were armed anew: changes made to them before
   * they were armed were not reported, so the caller reads them once more.
   */
  update(directories: ReadonlyMap<string, WatchedDirectory>): number {
    if (this.closed) return 0;
    for (const [path, armed] of this.armed) {
      const wanted = directories.get(path);
      if (wanted === undefined || wanted.identity !== armed.identity || armed.stale) this.disarm(path);
    }
    for (const path of this.failed.keys()) if (!directories.has(path)) this.failed.delete(path);
    let armedNow = 0;
    for (const [path, wanted] of directories) {
      const existing = this.armed.get(path);
      if (existing !== undefined) {
        existing.names = wanted.names;
        continue;
      }
      if (this.arm(path, wanted)) armedNow++;
    }
    return armedNow;
  }

  close(): void {
    this.closed = true;
    for (const path of [...this.armed.keys()]) this.disarm(path);
  }

  private arm(path: string, wanted: WatchedDirectory): boolean {
    const self = basename(path);
    let watcher: FSWatcher;
    try {
      watcher = fsWatch(path, (eventType, filename) => {
        const entry = this.armed.get(path);
        if (entry?.watcher !== watcher) return;
        const name = filename === null ? undefined : String(filename);
        // Linux names the watched directory itself for its own deletion or move.
        if (eventType === 'rename' && (name === undefined || name === self)) entry.stale = true;
        if (entry.stale || entry.names === undefined || name === undefined || entry.names.has(name))
          this.onEvent();
      });
    } catch (err) {
      // Gone since it was listed: its parent's watch reports that, and the next scan will not list
      // it. Any other failure is left to the periodic re-scan (not an event: that would retry the
      // watch in a loop for as long as the limit it hit stays full).
      const error = err as NodeJS.ErrnoException;
      if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') this.fail(path, error);
      return false;
    }
    watcher.on('error', (err: Error) => {
      if (this.armed.get(path)?.watcher !== watcher) return;
      this.disarm(path);
      this.fail(path, err);
      this.onEvent();
    });
    this.armed.set(path, { identity: wanted.identity, watcher, names: wanted.names, stale: false });
    this.failed.delete(path);
    return true;
  }

  private fail(path: string, error: Error): void {
    const reason = error.message;
    const known = this.failed.has(path);
    this.failed.set(path, reason);
    if (!known) this.onFailure(path, error);
  }

  private disarm(path: string): void {
    const armed = this.armed.get(path);
    if (armed === undefined) return;
    this.armed.delete(path);
    armed.watcher.close();
  }
}
