/**
 * The embedded config store: every `*.yaml` / `*.yml` file under a directory tree (or one file),
 * read in sorted path order so that the same tree always yields the same config.
 *
 * Entries whose name starts with `.` are skipped (editor swap files, `.git`, and the `..data` link farm
 * of a Kubernetes ConfigMap mount, whose top-level links to the files are followed instead).
 */
import { createHash } from 'node:crypto';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigIssue } from '../../api/index.js';
import { AerakiError, ErrorCodes } from '../../errors.js';
import type { ConfigSource, SourceDocument, SourceSnapshot, SourceWatch } from './config-source.js';
import { parseYamlDocuments, type ParsedFile } from './yaml-documents.js';

/** How long the tree must be quiet before a change is read: editors write files in several steps. */
export const DEFAULT_DEBOUNCE_MS = 100;

/**
 * The longest a change waits while edits keep coming: a tree edited more often than the quiet period
 * (a script flipping a route every 100 ms) is still read at least this often.
 */
export const DEFAULT_MAX_DELAY_MS = 300;

export interface FileSourceOptions {
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
}

export class FileSource implements ConfigSource {
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private lastVersion: string | undefined;
  /**
   * The last parse of each file with a digest of the text it came from (not the text: the whole
   * config's size): a reload re-parses only the files whose text changed, and hands on the very same
   * document objects for the others (so that later stages can cache their work per document).
   */
  private parsed = new Map<string, { readonly digest: string; readonly result: ParsedFile }>();

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
    const files = await listYamlFiles(this.root, issues);
    const parsed = new Map<string, { readonly digest: string; readonly result: ParsedFile }>();
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        issues.push(ioIssue(file, err));
        continue;
      }
      const previous = this.parsed.get(file);
      const digest = createHash('sha256').update(text).digest('base64');
      const result = previous?.digest === digest ? previous.result : parseYamlDocuments(file, text);
      parsed.set(file, { digest, result });
      for (const document of result.documents) documents.push(document);
      for (const issue of result.issues) issues.push(issue);
    }
    this.parsed = parsed;
    const hash = createHash('sha256');
    for (const doc of documents) hash.update(`${doc.file}\0${doc.documentIndex}\0${doc.resourceVersion}\n`);
    hash.update(JSON.stringify(issues));
    const version = hash.digest('hex').slice(0, 16);
    this.lastVersion = version;
    return { documents, issues, version };
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

/** Every YAML file under `root`, sorted by path; unreadable entries become issues. */
export async function listYamlFiles(root: string, issues: ConfigIssue[]): Promise<string[]> {
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch (err) {
    issues.push(ioIssue(root, err));
    return [];
  }
  if (!rootStat.isDirectory()) return [root];
  const files: string[] = [];
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
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      let entry;
      try {
        entry = await stat(path);
      } catch (err) {
        issues.push(ioIssue(path, err));
        continue;
      }
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && /\.ya?ml$/i.test(name)) files.push(path);
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
