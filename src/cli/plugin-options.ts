/**
 * `--plugin MODULE` (repeatable) for the commands that run or check codecs: `aeraki up`, `aeraki
 * proxy`, `aeraki validate`.
 */
import type { Logger } from 'pino';
import type { CodecRegistry } from '../codec/index.js';
import { builtinCodecs } from '../codecs/index.js';
import { RecordedFilters } from '../plugins/filter-sink.js';
import type { LoadedPlugin } from '../plugins/plugin-loader.js';
import {
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_ROUTER_FILTER,
} from '../xds/type-urls.js';

export const PLUGIN_OPTIONS = {
  plugin: { type: 'string', multiple: true },
} as const;

export const PLUGIN_USAGE = `  --plugin MODULE     load codecs (and filters) from MODULE: an ES module file (.js, .mjs), a folder
                      or npm package name (resolved from the current directory), or a codec
                      description (.yaml); repeatable. See docs/plugins.md.
`;

/** The filters built into aeraki, whose names no plugin may take. */
const BUILTIN_FILTERS = [
  META_PROTOCOL_ROUTER_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  'aeraki.meta_protocol.filters.metadata_exchange',
  'aeraki.meta_protocol.filters.istio_stats',
];

/** The built-in codecs and those of the plugins, and what each plugin brought. */
export interface CliCodecs {
  readonly codecs: CodecRegistry;
  readonly filters: RecordedFilters;
  readonly plugins: readonly LoadedPlugin[];
}

/**
 * Loads the `--plugin` modules in order into a registry of the built-in codecs. A plugin that fails
 * stops the command with its error (AERAKI_ERR_PLUGIN_*), which names the module and the cause.
 */
export async function loadCliCodecs(
  specs: readonly string[] | undefined,
  logger?: Logger,
): Promise<CliCodecs> {
  const codecs = builtinCodecs();
  const filters = new RecordedFilters(BUILTIN_FILTERS);
  if (specs === undefined || specs.length === 0) return { codecs, filters, plugins: [] };
  // Loaded only for plugins: it brings a YAML parser and semver, which a proxy has no other use for.
  const { PluginLoader } = await import('../plugins/plugin-loader.js');
  const plugins = await new PluginLoader({ codecs, filters }).loadAll(specs);
  for (const plugin of plugins) {
    logger?.info(
      { plugin: plugin.spec, path: plugin.path, codecs: plugin.codecs, filters: plugin.filters },
      'plugin loaded',
    );
  }
  if (filters.filters.length > 0) {
    logger?.warn(
      { filters: filters.filters.map(f => `${f.factory.name} (${f.origin})`) },
      'plugin filters are checked and recorded but not run yet: listeners do not configure plugin filters in this version',
    );
  }
  return { codecs, filters, plugins };
}
