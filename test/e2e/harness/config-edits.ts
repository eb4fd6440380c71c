/**
 * The ways users' tools change a config directory, for the tests of the config watch: a write in
 * place (same inode), an atomic rename over the file (editors, config management, `mv`), GNU `sed -i`
 * (run for real), and a Kubernetes ConfigMap volume, projected the way kubelet's AtomicWriter does it.
 */
import { execFile } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** Overwrites `path` through the same inode (truncate, write), as `>` in a shell does. */
export async function writeInPlace(path: string, text: string): Promise<void> {
  const handle = await open(path, 'r+').catch(() => open(path, 'w'));
  try {
    await handle.truncate(0);
    await handle.write(text, 0, 'utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Writes `text` to a temporary file, then renames it over `path`: a new inode each time. The
 * temporary file is `.NAME.tmp` beside `path`, or in `stagingDir` (on the same file system) as
 * config-management tools that stage their files elsewhere do; then the renamed file's directory
 * sees no name that it did not have before.
 */
export async function renameOver(
  path: string,
  text: string | Uint8Array,
  stagingDir = dirname(path),
): Promise<void> {
  const temporary = join(stagingDir, `.${basename(path)}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, path);
}

/**
 * Runs GNU `sed -i -e SCRIPT path`: sed writes the result to a temporary file in the same directory
 * and renames it over `path`.
 */
export async function sedInPlace(path: string, script: string): Promise<void> {
  await promisify(execFile)('sed', ['-i', '-e', script, path]);
}

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/**
 * A directory laid out as kubelet lays out a ConfigMap volume: each visible top-level entry is a
 * symlink `name -> ..data/name`, `..data` is a symlink to a hidden timestamped directory
 * (`..2026_12_07_10_00_00.123456789`) that holds the real files, and an update swaps `..data`
 * atomically. Follows kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): write the payload
 * to a new timestamped directory, point a `..data_tmp` symlink at it, rename that over `..data`,
 * create the visible links the payload adds, remove those it dropped, delete the old directory.
 */
export class ConfigMapVolume {
  private constructor(readonly path: string) {}

  /** Projects `files` (relative path → content) into `path`, which must exist. */
  static async create(path: string, files: Readonly<Record<string, string>>): Promise<ConfigMapVolume> {
    const volume = new ConfigMapVolume(path);
    await volume.update(files);
    return volume;
  }

  /** Replaces the volume's content with `files`, as kubelet does after the ConfigMap changed. */
  async update(files: Readonly<Record<string, string>>): Promise<void> {
    const dataPath = join(this.path, DATA);
    const oldDirectory = await readlink(dataPath).catch(() => undefined);
    const oldVisible = oldDirectory === undefined ? new Set<string>() : await this.visibleNames();
    const newDirectory = await mkdtemp(join(this.path, timestampPrefix()));
    for (const [file, content] of Object.entries(files)) {
      await mkdir(dirname(join(newDirectory, file)), { recursive: true });
      await writeFile(join(newDirectory, file), content);
    }
    const temporaryLink = join(this.path, DATA_TMP);
    await symlink(basename(newDirectory), temporaryLink);
    await rename(temporaryLink, dataPath);
    const newVisible = new Set(Object.keys(files).map(file => file.split('/')[0]!));
    for (const name of newVisible) {
      if (!oldVisible.has(name)) await symlink(join(DATA, name), join(this.path, name));
    }
    for (const name of oldVisible) if (!newVisible.has(name)) await unlink(join(this.path, name));
    if (oldDirectory !== undefined) await rm(join(this.path, oldDirectory), { recursive: true, force: true });
  }

  /** The top-level names of the current payload. */
  private async visibleNames(): Promise<Set<string>> {
    return new Set((await readdir(join(this.path, DATA))).filter(name => !name.startsWith('..')));
  }
}

/** `..YYYY_MM_DD_HH_MM_SS.` in UTC, the prefix kubelet gives its timestamped directories. */
function timestampPrefix(): string {
  const iso = new Date().toISOString(); // 2026-12-07T10:00:00.000Z
  const stamp = `${iso.slice(0, 4)}_${iso.slice(5, 7)}_${iso.slice(8, 10)}_${iso.slice(11, 13)}_${iso.slice(14, 16)}_${iso.slice(17, 19)}`;
  return `..${stamp}.`;
}
