/**
 * Loading a config directory in one call, for `aeraki validate` and `aeraki up`.
 */
import type { ConfigIssue } from '../api/index.js';
import type { LoadedConfig } from './model/config-set.js';
import { buildConfig } from './model/build-config.js';
import type { SourceSnapshot, SourceWatch } from './sources/config-source.js';
import { FileSource, type FileSourceOptions, type WatchStatus } from './sources/file-source.js';

/**
 * Reads every `*.yaml` / `*.yml` file under `dir` (or the single file `dir`), validates every document
 * and the references between them. Never rejects for a user mistake (missing directory, bad YAML,
 * broken rule): those are issues.
 */
export async function loadConfig(dir: string, options: FileSourceOptions = {}): Promise<LoadedConfig> {
  return fromSnapshot(dir, await new FileSource(dir, options).list());
}

/**
 * Loads `dir`, then calls `onChange` after each change to it settles, with the newly loaded config.
 * Resolves once the first load is done, with that config, the handle that stops watching, and how
 * the watch follows the directory.
 */
export async function watchConfig(
  dir: string,
  onChange: (loaded: LoadedConfig) => void,
  options: FileSourceOptions = {},
): Promise<{ initial: LoadedConfig; watch: SourceWatch; watchStatus: () => WatchStatus }> {
  const source = new FileSource(dir, options);
  const initial = fromSnapshot(dir, await source.list());
  const watch = source.watch(snapshot => onChange(fromSnapshot(dir, snapshot)));
  return { initial, watch, watchStatus: () => source.watchStatus() };
}

function fromSnapshot(dir: string, snapshot: SourceSnapshot): LoadedConfig {
  const loaded = { ...buildConfig(snapshot), files: snapshot.files };
  if (snapshot.documents.length > 0 || snapshot.issues.length > 0) return loaded;
  const empty: ConfigIssue = {
    severity: 'warning',
    file: dir,
    line: 1,
    column: 1,
    documentIndex: -1,
    kind: '',
    name: '',
    field: '',
    rule: 'no-config',
    message: `no config documents found in ${dir} (looked for *.yaml and *.yml files)`,
  };
  return { ...loaded, issues: [...loaded.issues, empty] };
}
