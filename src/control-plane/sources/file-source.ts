/**
 * The embedded config store: every `*.yaml` / `*.yml` file under a directory tree (or one file),
 * read in sorted path order so that the same tree always yields the same config.
 *
 * Entries whose name starts with `.` are skipped (editor swap files, `.git`, and the `..data` link farm
 * of a Kubernetes ConfigMap mount, whose top-level links to the files are followed instead).
 */
import { createHash } from 'node:crypto';
import { watch as fsWatch, type BigIntStats, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigIssue } from '../../api/index.js';
import { AerakiError, ErrorCodes } from '../../errors.js';
import { ChunkedHash } from '../chunked-hash.js';
import type { ConfigSource, SourceDocument, SourceSnapshot, SourceWatch } from './config-source.js';
import { parseYamlDocuments, type ParsedFile } from './yaml-documents.js';

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

/** A YAML file found by the walk, with what its stat says about its content. */
interface ListedFile {
  readonly path: string;
  /** Device, inode, size, mtime and ctime: any write, rename over or ConfigMap swap changes one of them. */
  readonly stamp: string;
  readonly mtimeMs: number;
}

/** The last parse of a file: a digest of the text it came from, the stat it had, when it was read. */
interface FileParse {
  readonly digest: string;
  readonly result: ParsedFile;
  readonly stamp: string;
  readonly readStartMs: number;
}

export interface FileSourceOptions {
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
}

export class FileSource implements ConfigSource {
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private lastVersion: string | undefined;
  /**
   * The last parse of each file: a reload reads only the files whose stat changed, re-parses only
   * those whose text changed (by a digest of it; the text itself, the whole config's size, is not
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
  }

  async list(): Promise<SourceSnapshot> {
    const issues: ConfigIssue[] = [];
    const documents: SourceDocument[] = [];
    const readStartMs = Date.now();
    const files = await walkYamlFiles(this.root, issues);
    // Reading every file again on each change cost a 10,000-service tree 30 MB of text and most of
    // its listing time.
    const reads = await readTexts(files.map(file => (this.unchanged(file) ? undefined : file.path)));
    const parsed = new Map<string, FileParse>();
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      const previous = this.parsed.get(file.path);
      const text = reads[i];
      let entry: FileParse;
      if (text === undefined) {
        entry = previous!;
      } else {
        if (typeof text !== 'string') {
          issues.push(ioIssue(file.path, text.error));
          continue;
        }
        const digest = createHash('sha256').update(text).digest('base64');
        entry =
          previous?.digest === digest
            ? { ...previous, stamp: file.stamp, readStartMs }
            : { digest, result: parseYamlDocuments(file.path, text), stamp: file.stamp, readStartMs };
      }
      parsed.set(file.path, entry);
      for (const document of entry.result.documents) documents.push(document);
      for (const issue of entry.result.issues) issues.push(issue);
    }
    this.parsed = parsed;
    const hash = new ChunkedHash();
    for (const doc of documents) hash.add(`${doc.file}\0${doc.documentIndex}\0${doc.resourceVersion}\n`);
    const version = hash.add(JSON.stringify(issues)).hex(16);
    this.lastVersion = version;
    return { documents, issues, version };
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

  watch(onChange: (snapshot: SourceSnapshot) => void): SourceWatch {
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    let again = false;
    let closed = false;
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
          if (!closed && snapshot.version !== previous) onChange(snapshot);
        } while (again && !closed);
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
    let watcher: FSWatcher;
    try {
      watcher = fsWatch(this.root, { recursive: true }, schedule);
    } catch (err) {
      throw new AerakiError(ErrorCodes.CONFIG_IO, `cannot watch ${this.root}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    watcher.on('error', schedule);
    return {
      close: () => {
        closed = true;
        clearTimeout(timer);
        watcher.close();
      },
    };
  }
}

/** Files read at once: enough to keep the disk and the thread pool busy, far below any open-file limit. */
const PARALLEL_READS = 16;

type ReadResult = string | { readonly error: unknown };

/** The text of each path (or why it could not be read); undefined where no path is given. */
async function readTexts(paths: readonly (string | undefined)[]): Promise<(ReadResult | undefined)[]> {
  const texts = new Array<ReadResult | undefined>(paths.length).fill(undefined);
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const path = paths[i];
      if (path !== undefined) texts[i] = await readFile(path, 'utf8').catch((error: unknown) => ({ error }));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, reader));
  return texts;
}

/** Every YAML file under `root`, sorted by path; unreadable entries become issues. */
export async function listYamlFiles(root: string, issues: ConfigIssue[]): Promise<string[]> {
  return (await walkYamlFiles(root, issues)).map(file => file.path);
}

function listed(path: string, stats: BigIntStats): ListedFile {
  return {
    path,
    stamp: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`,
    mtimeMs: Number(stats.mtimeMs),
  };
}

async function walkYamlFiles(root: string, issues: ConfigIssue[]): Promise<ListedFile[]> {
  let rootStat;
  try {
    rootStat = await stat(root, { bigint: true });
  } catch (err) {
    issues.push(ioIssue(root, err));
    return [];
  }
  if (!rootStat.isDirectory()) return [listed(root, rootStat)];
  const files: ListedFile[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir).catch(() => dir);
    if (visited.has(real)) return;
    visited.add(real);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      issues.push(ioIssue(dir, err));
      return;
    }
    const paths = names
      .sort()
      .filter(name => !name.startsWith('.'))
      .map(name => join(dir, name));
    const entries = await Promise.all(
      paths.map(path => stat(path, { bigint: true }).catch((error: unknown) => ({ error }))),
    );
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const entry = entries[i]!;
      if ('error' in entry) {
        issues.push(ioIssue(path, entry.error));
        continue;
      }
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && /\.ya?ml$/i.test(path)) files.push(listed(path, entry));
    }
  };
  await walk(root);
  return files;
}

function ioIssue(file: string, err: unknown): ConfigIssue {
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
