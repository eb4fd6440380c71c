/**
 * The control plane: config sources, the validated config model, and translation to proxy resources.
 */
export type { ConfigIssue } from '../api/index.js';
export { loadConfig, watchConfig } from './load-config.js';
export { buildConfig } from './model/build-config.js';
export type { ConfigObject, ConfigSet, LoadedConfig } from './model/config-set.js';
export { EMPTY_CONFIG_SET } from './model/config-set.js';
export type {
  ConfigSource,
  DocumentOrigin,
  SourceDocument,
  SourcePosition,
  SourceSnapshot,
  SourceWatch,
} from './sources/config-source.js';
export { FileSource, type FileSourceOptions } from './sources/file-source.js';
export { parseYamlDocuments } from './sources/yaml-documents.js';
export { translate } from './translate/translate.js';
export { canonicalJson, contentVersion } from './translate/snapshot-version.js';
