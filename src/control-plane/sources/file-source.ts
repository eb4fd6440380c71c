/**
 * The embedded config store: every `*.yaml` / `*.yml` file under a directory tree (or one file),
 * read in sorted path order so that the same tree always yields the same config (see TreeWalk for
 * which entries count).
 *
 * Watching: every directory of the tree is watched on its own (see DirectoryWatches for why not the
 * files, nor Node's `recursive` option), and any event in it lists the tree again, reading only the
 * files whose stat changed. A periodic re-scan backs the events up: a walk that stats every entry and
 * lists the tree again only when a stat differs from the last listing's.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { formatByteSize } from '../../api/byte-size.js';
import type { ConfigIssue } from '../../api/index.js';
import { AerakiError, ErrorCodes } from '../../errors.js';
import { ChunkedHash } from '../chunked-hash.js';
import type { ConfigSource, SourceDocument, SourceSnapshot, SourceWatch } from './config-source.js';
import { DirectoryWatches, type WatchedDirectory } from './directory-watches.js';
import { ioIssue, walkTree, type ListedFile, type TreeWalk } from './tree-walk.js';
import { decodeUtf8 } from './utf8.js';
import { DEFAULT_MAX_DOCUMENTS_PER_FILE, parseYamlDocuments, type ParsedFile } from './yaml-documents.js';

/** How long the tree must be quiet before a change is read: editors write files in several steps. */
export const DEFAULT_DEBOUNCE_MS = 100;

/**
 * The longest a change waits while edits keep coming: a tree edited more often than the quiet period
 * (a script flipping a route every 100 ms) is still read at least this often.
 */
export const DEFAULT_MAX_DELAY_MS = 300;

/**
 * A file whose stat is unchanged is taken as unchanged only once its mtime is this much older than
 * the moment it was last read. File times tick coarsely (a kernel tick on ext4, 2 s on FAT), so a file
 * rewritten with the same size within one tick of being read keeps its mtime; such a "racily clean"
 * file (git's term) is read again until it is older than any tick.
 */
const RACY_MARGIN_MS = 3000;

/**
 * How often a watched tree is listed again even without an event: a stat of every entry, reading
 * only files whose stat changed. It bounds how long a change the events missed can go unseen (an
 * inotify queue overflow, a file system without change events such as NFS, a symlink chain through a
 * directory outside the tree).
 */
export const DEFAULT_RESCAN_INTERVAL_MS = 2000;

/**
 * The largest config file read. A larger one is refused unread (an error naming it, so the last good
 * config keeps serving): YAML parses at a few megabytes a second and its syntax trees weigh many times
 * the text, so one huge file would stall and bloat the control plane.
 */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/** The last parse of a file: a digest of the bytes it came from, the stat it had, when it was read. */
interface FileParse {
  readonly digest: string;
  readonly result: ParsedFile;
  readonly stamp: string;
  readonly readStartMs: number;
}

export interface FileSourceOptions {
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
  /** The largest file read, in bytes (default {@link DEFAULT_MAX_FILE_BYTES}). */
  readonly maxFileBytes?: number;
  /** The most YAML documents one file may hold (default 50,000). */
  readonly maxDocumentsPerFile?: number;
  /** Period of the re-scan that backs up the file-system events; 0 turns it off. */
  readonly rescanIntervalMs?: number;
  /**
   * Whether to listen to file-system events (default true). Without them, changes are seen by the
   * periodic re-scan alone: for file systems that report none.
   */
  readonly fsEvents?: boolean;
  /**
   * Told about trouble that loses no config but delays changes: a directory that cannot be watched
   * (then only the re-scan sees changes below it), a reload that failed unexpectedly.
   */
  readonly onError?: (error: Error) => void;
}

/** How a running watch follows the tree. */
export interface WatchStatus {
  /** Whether file-system events are listened to. */
  readonly events: boolean;
  /** Directories watched now. */
  readonly directories: number;
  /** Directories that could not be watched, and why. */
  readonly failures: ReadonlyArray<{ readonly directory: string; readonly reason: string }>;
  /** Period of the re-scan; 0 when off. */
  readonly rescanIntervalMs: number;
}

export class FileSource implements ConfigSource {
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly rescanIntervalMs: number;
  private readonly fsEvents: boolean;
  private readonly onError: (error: Error) => void;
  private readonly maxFileBytes: number;
  private readonly maxDocumentsPerFile: number;
  private lastVersion: string | undefined;
  /** Open watches that listen to events: listing then also collects the directories to watch. */
  private eventWatches = 0;
  /** The directories the last listing found to watch (while a watch listens to events). */
  private lastDirectories: ReadonlyMap<string, WatchedDirectory> | undefined;
  /** The walk's own issues in the last listing (as JSON), for the re-scan to compare. */
  private lastWalkIssues = '';
  private events: DirectoryWatches | undefined;
  /**
   * The last parse of each file: a reload reads only the files whose stat changed, re-parses only
   * those whose bytes changed (by a digest of them; the text itself, the whole config's size, is not
   * kept), and hands on the very same document objects for the others (so that later stages can
   * cache their work per document).
   */
  private parsed = new Map<string, FileParse>();

  /** `root` is a directory (read recursively) or a single YAML file; issue paths start with it. */
  constructor(
    readonly root: string,
    options: FileSourceOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.maxDelayMs = Math.max(this.debounceMs, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
    this.rescanIntervalMs = options.rescanIntervalMs ?? DEFAULT_RESCAN_INTERVAL_MS;
    this.fsEvents = options.fsEvents ?? true;
    this.onError = options.onError ?? (() => {});
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxDocumentsPerFile = options.maxDocumentsPerFile ?? DEFAULT_MAX_DOCUMENTS_PER_FILE;
  }

  async list(): Promise<SourceSnapshot> {
    const issues: ConfigIssue[] = [];
    const documents: SourceDocument[] = [];
    const readStartMs = Date.now();
    const walked = await walkTree(this.root, this.eventWatches > 0);
    const files = walked.files;
    for (const issue of walked.issues) issues.push(issue);
    this.lastDirectories = walked.directories;
    this.lastWalkIssues = JSON.stringify(walked.issues);
    // Reading every file again on each change cost a 10,000-service tree 30 MB of text and most of
    // its listing time.
    const limit = this.maxFileBytes;
    const reads = await readFiles(
      files.map(file => (this.unchanged(file) || file.size > limit ? undefined : file.path)),
      limit,
    );
    const parsed = new Map<string, FileParse>();
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      const previous = this.parsed.get(file.path);
      const read = reads[i];
      let entry: FileParse;
      if (file.size > limit) {
        issues.push(tooLargeIssue(file.path, file.size, limit));
        continue;
      } else if (read === undefined) {
        entry = previous!;
      } else if ('error' in read) {
        issues.push(ioIssue(file.path, read.error));
        continue;
      } else if ('tooLarge' in read) {
        issues.push(tooLargeIssue(file.path, read.tooLarge, limit));
        continue;
      } else {
        const digest = createHash('sha256').update(read.bytes).digest('base64');
        if (previous?.digest === digest) {
          entry = { ...previous, stamp: file.stamp, readStartMs };
        } else {
          const text = decodeUtf8(read.bytes);
          if (typeof text !== 'string') {
            issues.push({
              severity: 'error',
              file: file.path,
              line: text.line,
              column: text.column,
              documentIndex: -1,
              kind: '',
              name: '',
              field: '',
              rule: 'config-not-utf8',
              message: `${file.path} is not UTF-8: ill-formed bytes ${text.bytes} at byte offset ${text.offset}`,
            });
            continue;
          }
          const result = parseYamlDocuments(file.path, text, { maxDocuments: this.maxDocumentsPerFile });
          entry = { digest, result, stamp: file.stamp, readStartMs };
        }
      }
      parsed.set(file.path, entry);
      for (const document of entry.result.documents) documents.push(document);
      for (const issue of entry.result.issues) issues.push(issue);
    }
    this.parsed = parsed;
    const hash = new ChunkedHash();
    for (const file of parsed.keys()) hash.add(`${file}\n`);
    for (const doc of documents) hash.add(`${doc.file}\0${doc.documentIndex}\0${doc.resourceVersion}\n`);
    const version = hash.add(JSON.stringify(issues)).hex(16);
    this.lastVersion = version;
    return { documents, issues, version, files: [...parsed.keys()] };
  }

  /**
   * Whether a walk finds what the last listing found: the same files with the same stats (none of
   * them racily clean), the same unreadable entries, the same directories to watch.
   */
  private unchangedSinceListed(walked: TreeWalk): boolean {
    if (walked.files.length !== this.parsed.size) return false;
    for (const file of walked.files) if (!this.unchanged(file)) return false;
    if (JSON.stringify(walked.issues) !== this.lastWalkIssues) return false;
    const before = this.lastDirectories;
    const now = walked.directories;
    if (before === undefined || now === undefined) return before === now;
    if (before.size !== now.size) return false;
    for (const [path, directory] of now) if (before.get(path)?.identity !== directory.identity) return false;
    return true;
  }

  /** Whether `file` certainly holds the text it held when last read (see {@link RACY_MARGIN_MS}). */
  private unchanged(file: ListedFile): boolean {
    const previous = this.parsed.get(file.path);
    return (
      previous !== undefined &&
      previous.stamp === file.stamp &&
      file.mtimeMs < previous.readStartMs - RACY_MARGIN_MS
    );
  }

  /** How the current watch follows the tree (the last one opened, if several are). */
  watchStatus(): WatchStatus {
    return {
      events: this.events !== undefined,
      directories: this.events?.size ?? 0,
      failures: [...(this.events?.failures ?? [])].map(([directory, reason]) => ({ directory, reason })),
      rescanIntervalMs: this.rescanIntervalMs,
    };
  }

  watch(onChange: (snapshot: SourceSnapshot) => void): SourceWatch {
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    let again = false;
    let closed = false;
    let events: DirectoryWatches | undefined;
    const reload = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const previous = this.lastVersion;
          const snapshot = await this.list();
          if (closed) break;
          // What changed in a directory before its watch was armed was not reported: list again.
          if (events !== undefined && this.lastDirectories !== undefined) {
            if (events.update(this.lastDirectories) > 0) again = true;
          }
          if (snapshot.version !== previous) onChange(snapshot);
        } while (again && !closed);
      } catch (err) {
        this.onError(
          new AerakiError(ErrorCodes.CONFIG_IO, `reloading ${this.root} failed: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      } finally {
        running = false;
      }
    };
    /** When the first change of the current burst was seen; 0 = no change pending. */
    let burstStart = 0;
    const fire = (): void => {
      burstStart = 0;
      void reload();
    };
    const schedule = (): void => {
      const now = Date.now();
      if (burstStart === 0) burstStart = now;
      clearTimeout(timer);
      timer = setTimeout(fire, Math.max(0, Math.min(this.debounceMs, burstStart + this.maxDelayMs - now)));
    };
    if (this.fsEvents) {
      events = new DirectoryWatches(schedule, (directory, error) =>
        this.onError(
          new AerakiError(
            ErrorCodes.CONFIG_IO,
            `cannot watch ${directory} (${error.message}); changes below it are seen by the periodic re-scan only`,
            { cause: error },
          ),
        ),
      );
      this.events = events;
      this.eventWatches++;
      // Arms the watches: the listing that started the watch did not collect the directories.
      void reload();
    }
    let scanning = false;
    const scan = async (): Promise<void> => {
      if (scanning || running || burstStart !== 0) return;
      scanning = true;
      try {
        const walked = await walkTree(this.root, events !== undefined);
        if (!closed && !running && !this.unchangedSinceListed(walked)) await reload();
      } catch (err) {
        this.onError(
          new AerakiError(
            ErrorCodes.CONFIG_IO,
            `re-scanning ${this.root} failed: ${(err as Error).message}`,
            {
              cause: err,
            },
          ),
        );
      } finally {
        scanning = false;
      }
    };
    const rescan =
      this.rescanIntervalMs > 0 ? setInterval(() => void scan(), this.rescanIntervalMs).unref() : undefined;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        clearInterval(rescan);
        if (events !== undefined) {
          events.close();
          this.eventWatches--;
          if (this.events === events) this.events = undefined;
        }
      },
    };
  }
}

/** Files read at once: enough to keep the disk and the thread pool busy, far below any open-file limit. */
const PARALLEL_READS = 16;

/** A file's bytes, or why they were not read: an error, or the file was larger than the limit. */
type ReadResult = { readonly bytes: Buffer } | { readonly error: unknown } | { readonly tooLarge: number };

/** The bytes of each path (at most `limit` each); undefined where no path is given. */
async function readFiles(
  paths: readonly (string | undefined)[],
  limit: number,
): Promise<(ReadResult | undefined)[]> {
  const results = new Array<ReadResult | undefined>(paths.length).fill(undefined);
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const path = paths[i];
      if (path !== undefined)
        results[i] = await readBounded(path, limit).catch((error: unknown) => ({ error }));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, reader));
  return results;
}

/** Chunks read after the size the file had when opened, if it grew since. */
const GROWTH_CHUNK = 64 * 1024;

/**
 * Reads `path`, stopping as soon as it holds more than `limit` bytes: its size was checked by the
 * walk, but it may have grown since.
 */
async function readBounded(path: string, limit: number): Promise<ReadResult> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > limit) return { tooLarge: size };
    const chunks: Buffer[] = [];
    let total = 0;
    // The size it has now, and one byte more to see whether it ends there.
    let want = size + 1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(want, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) return { tooLarge: total };
      // A short read of a regular file is its end.
      if (bytesRead < chunk.length) break;
      want = GROWTH_CHUNK;
    }
    return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
  } finally {
    await handle.close();
  }
}

function tooLargeIssue(file: string, size: number, limit: number): ConfigIssue {
  return {
    severity: 'error',
    file,
    line: 1,
    column: 1,
    documentIndex: -1,
    kind: '',
    name: '',
    field: '',
    rule: 'config-file-too-large',
    message: `${file} is ${formatByteSize(size)} (${size} bytes), over the limit of ${formatByteSize(limit)} for one config file; it was not read`,
  };
}

/** Every YAML file under `root`, sorted by path; unreadable entries become issues. */
export async function listYamlFiles(root: string, issues: ConfigIssue[]): Promise<string[]> {
  const walked = await walkTree(root, false);
  for (const issue of walked.issues) issues.push(issue);
  return walked.files.map(file => file.path);
}
