/**
 * `--plugin MODULE` (repeatable) for the commands that run or check codecs: `aeraki up`, `aeraki
 * proxy`, `aeraki validate`.
 */
import type { Logger } from 'pino';
import type { CodecRegistry } from '../codec/index.js';
import type { FilterConfigCheck } from '../control-plane/model/filter-issues.js';
import type { FilterRegistry } from '../filters/filter-registry.js';
import type { LoadedPlugin } from '../plugins/plugin-loader.js';

export const PLUGIN_OPTIONS = {
  plugin: { type: 'string', multiple: true },
} as const;

export const PLUGIN_USAGE = `  --plugin MODULE     load codecs and filters from MODULE: an ES module file (.js, .mjs), a folder
                      or npm package name (resolved from the current directory), or a codec
                      description (.yaml); repeatable. See docs/plugins.md.
`;

/** The built-in codecs and filters and those of the plugins, and what each plugin brought. */
export interface CliCodecs {
  readonly codecs: CodecRegistry;
  readonly filters: FilterRegistry;
  readonly plugins: readonly LoadedPlugin[];
}

/**
 * Loads the `--plugin` modules in order into registries of the built-in codecs and filters. A plugin
 * that fails stops the command with its error (AERAKI_ERR_PLUGIN_*), which names the module and the
 * cause.
 */
export async function loadCliCodecs(
  specs: readonly string[] | undefined,
  logger?: Logger,
): Promise<CliCodecs> {
  // Imported here, not above: the primary of a proxy with workers runs no codec (proxy.ts).
  const [{ builtinCodecs }, { FilterRegistry }] = await Promise.all([
    import('../codecs/index.js'),
    import('../filters/filter-registry.js'),
  ]);
  const codecs = builtinCodecs();
  const filters = new FilterRegistry();
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
  return { codecs, filters, plugins };
}

/**
 * What `filters` (the built-ins and the plugins' filters) say of a MetaRouter's filter entry, for the
 * control plane's and `aeraki validate`'s checks. The filters the listener configures with fields of
 * its own (router, rate limits) are checked by the MetaRouter's rules, not here.
 */
export function filterCheckOf(filters: FilterRegistry): FilterConfigCheck {
  return (name, config) => {
    if (filters.ownerOf(name) === undefined) return { known: false, knownNames: filters.names() };
    const checked = filters.check(name, config);
    return { known: true, problems: checked === undefined || checked.ok ? [] : checked.problems };
  };
}
