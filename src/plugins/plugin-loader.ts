/**
 * Loads `--plugin MODULE` arguments: imports each module (with `aeraki/codec` and `aeraki/filter`
 * resolving to this aeraki), checks its default export, and registers its codecs in the codec
 * registry and hands its filters to the filter sink. A YAML file is a declarative codec description
 * instead, compiled and registered under its name.
 *
 * Every failure is an AerakiError naming the module and the cause: AERAKI_ERR_PLUGIN_LOAD_FAILED when
 * the module cannot be found or imported, AERAKI_ERR_PLUGIN_INVALID when it loads but cannot be used.
 * A plugin is registered whole or not at all.
 */
import { readFile } from 'node:fs/promises';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { CODEC_NAME_PREFIX, SDK_VERSION, type CodecFactory, type CodecRegistry } from '../codec/index.js';
import { codecFactoryFromDescription } from '../codecs/declarative/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { isConfigSchema } from '../filters/config-schema.js';
import { FILTER_NAME_PREFIX, type FilterFactory } from '../filters/filter-factory.js';
import type { FilterSink } from './filter-sink.js';
import { guardCodecFactory } from './guarded-codec-factory.js';
import { resolvePluginEntry, type PluginEntry } from './plugin-entry.js';
import { registerSdkResolution } from './sdk-resolution.js';

/** What a loaded plugin registered. */
export interface LoadedPlugin {
  /** The argument as given, and the file it resolved to. */
  readonly spec: string;
  readonly path: string;
  readonly kind: PluginEntry['kind'];
  /** The SDK range it declared, if any. */
  readonly sdkVersion: string | undefined;
  readonly codecs: readonly string[];
  readonly filters: readonly string[];
}

export interface PluginLoaderOptions {
  /** Registry the plugins' codecs go into; the names already in it count as built in. */
  readonly codecs: CodecRegistry;
  /** Where the plugins' filters go. */
  readonly filters: FilterSink;
  /** Folder that relative paths and package names are resolved from (default: the process's). */
  readonly cwd?: string;
}

const PLUGIN_FIELDS = ['sdkVersion', 'codecs', 'filters'];
const CAPABILITIES = ['requestIds', 'heartbeats', 'streaming', 'serverSpeaksFirst'] as const;
/** What may follow a name prefix: a protocol or filter name as it appears in config. */
const NAME_SUFFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Loads plugins one after the other into the same registry and sink. */
export class PluginLoader {
  private readonly codecOwners = new Map<string, string>();
  readonly loaded: LoadedPlugin[] = [];

  constructor(private readonly options: PluginLoaderOptions) {
    for (const name of options.codecs.names()) this.codecOwners.set(name, 'built in');
  }

  /** Loads every plugin in order; stops at the first that fails. */
  async loadAll(specs: readonly string[]): Promise<LoadedPlugin[]> {
    for (const spec of specs) await this.load(spec);
    return this.loaded;
  }

  /** Loads one plugin. */
  async load(spec: string): Promise<LoadedPlugin> {
    const entry = resolvePluginEntry(spec, this.options.cwd ?? process.cwd());
    const plugin =
      entry.kind === 'description' ? await this.loadDescription(entry) : await this.loadModule(entry);
    this.loaded.push(plugin);
    return plugin;
  }

  private async loadDescription(entry: PluginEntry): Promise<LoadedPlugin> {
    let text: string;
    try {
      text = await readFile(entry.path, 'utf8');
    } catch (err) {
      throw failed(entry, `cannot be read: ${(err as Error).message}`, err);
    }
    let factory: CodecFactory;
    try {
      factory = codecFactoryFromDescription(parseYaml(text) as unknown);
    } catch (err) {
      throw invalid(entry, `not a valid codec description: ${(err as Error).message}`, err);
    }
    this.checkCodecName(entry, factory.name, 'name');
    this.options.codecs.register(factory);
    this.codecOwners.set(factory.name, label(entry));
    return {
      spec: entry.spec,
      path: entry.path,
      kind: entry.kind,
      sdkVersion: undefined,
      codecs: [factory.name],
      filters: [],
    };
  }

  private async loadModule(entry: PluginEntry): Promise<LoadedPlugin> {
    registerSdkResolution();
    let module: Record<string, unknown>;
    try {
      module = (await import(entry.url)) as Record<string, unknown>;
    } catch (err) {
      throw failed(entry, `cannot be imported: ${(err as Error).message ?? String(err)}`, err);
    }
    const plugin = module['default'];
    if (plugin === undefined) {
      const named = Object.keys(module);
      throw invalid(
        entry,
        'no default export; write export default { codecs: [...] }' +
          (named.length > 0 ? ` (it exports ${named.join(', ')})` : ''),
      );
    }
    if (plugin === null || typeof plugin !== 'object' || Array.isArray(plugin)) {
      throw invalid(
        entry,
        `its default export must be an object { sdkVersion?, codecs?, filters? }, got ${describe(plugin)}`,
      );
    }
    const fields = plugin as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!PLUGIN_FIELDS.includes(key)) {
        throw invalid(
          entry,
          `unknown field '${key}' in its default export (known: ${PLUGIN_FIELDS.join(', ')})`,
        );
      }
    }
    const sdkVersion = this.checkSdkVersion(entry, fields['sdkVersion']);
    const codecs = this.checkCodecs(entry, fields['codecs']);
    const filters = this.checkFilters(entry, fields['filters']);
    if (codecs.length === 0 && filters.length === 0) throw invalid(entry, 'exports no codecs and no filters');
    // Everything was checked: register all of it.
    for (const factory of codecs) {
      this.options.codecs.register(guardCodecFactory(factory, label(entry)));
      this.codecOwners.set(factory.name, label(entry));
    }
    for (const factory of filters) this.options.filters.add(factory, label(entry));
    return {
      spec: entry.spec,
      path: entry.path,
      kind: entry.kind,
      sdkVersion,
      codecs: codecs.map(c => c.name),
      filters: filters.map(f => f.name),
    };
  }

  private checkSdkVersion(entry: PluginEntry, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw invalid(entry, `sdkVersion must be a string, got ${describe(value)}`);
    // A bare version means "written for this version": it or any later compatible one.
    const range = semver.valid(value) !== null ? `^${value}` : semver.validRange(value);
    if (range === null) {
      throw invalid(entry, `sdkVersion '${value}' is neither a semver version nor a range (e.g. ^1.0.0)`);
    }
    if (!semver.satisfies(SDK_VERSION, range)) {
      throw invalid(
        entry,
        `written for SDK ${value}; this aeraki has SDK ${SDK_VERSION} (see docs/plugins.md, compatibility)`,
      );
    }
    return value;
  }

  private checkCodecs(entry: PluginEntry, value: unknown): CodecFactory[] {
    if (value === undefined) return [];
    if (!Array.isArray(value))
      throw invalid(entry, `codecs must be an array of codec factories, got ${describe(value)}`);
    const seen = new Set<string>();
    return value.map((item: unknown, i) => {
      const at = `codecs[${i}]`;
      if (item === null || typeof item !== 'object') {
        throw invalid(
          entry,
          `${at} must be a codec factory { name, capabilities, create }, got ${describe(item)}`,
        );
      }
      const factory = item as Record<string, unknown>;
      if (typeof factory['name'] !== 'string') throw invalid(entry, `${at}.name must be a string`);
      const name = factory['name'];
      this.checkCodecName(entry, name, `${at}.name`);
      if (seen.has(name)) throw invalid(entry, `${at}: codec '${name}' appears twice`);
      seen.add(name);
      const capabilities = factory['capabilities'];
      if (capabilities === null || typeof capabilities !== 'object') {
        throw invalid(entry, `${at}.capabilities must be an object { ${CAPABILITIES.join(', ')} }`);
      }
      for (const key of CAPABILITIES) {
        const flag = (capabilities as Record<string, unknown>)[key];
        if (typeof flag !== 'boolean') {
          throw invalid(entry, `${at}.capabilities.${key} must be true or false, got ${describe(flag)}`);
        }
      }
      if (typeof factory['create'] !== 'function') throw invalid(entry, `${at}.create must be a function`);
      return item as CodecFactory;
    });
  }

  private checkCodecName(entry: PluginEntry, name: string, at: string): void {
    const suffix = name.slice(CODEC_NAME_PREFIX.length);
    if (!name.startsWith(CODEC_NAME_PREFIX) || !NAME_SUFFIX.test(suffix)) {
      throw invalid(
        entry,
        `${at}: codec name '${name}' must look like '${CODEC_NAME_PREFIX}<protocol>' (letters, digits, _ . -)`,
      );
    }
    const owner = this.codecOwners.get(name);
    if (owner !== undefined) throw invalid(entry, `${at}: codec '${name}' is already registered (${owner})`);
  }

  private checkFilters(entry: PluginEntry, value: unknown): FilterFactory[] {
    if (value === undefined) return [];
    if (!Array.isArray(value))
      throw invalid(entry, `filters must be an array of filter factories, got ${describe(value)}`);
    const seen = new Set<string>();
    return value.map((item: unknown, i) => {
      const at = `filters[${i}]`;
      if (item === null || typeof item !== 'object') {
        throw invalid(
          entry,
          `${at} must be a filter factory { name, configSchema?, create }, got ${describe(item)}`,
        );
      }
      const factory = item as Record<string, unknown>;
      const name = factory['name'];
      if (typeof name !== 'string') throw invalid(entry, `${at}.name must be a string`);
      if (!name.startsWith(FILTER_NAME_PREFIX) || !NAME_SUFFIX.test(name.slice(FILTER_NAME_PREFIX.length))) {
        throw invalid(entry, `${at}: filter name '${name}' must look like '${FILTER_NAME_PREFIX}<name>'`);
      }
      const owner = this.options.filters.ownerOf(name);
      if (owner !== undefined)
        throw invalid(entry, `${at}: filter '${name}' is already registered (${owner})`);
      if (seen.has(name)) throw invalid(entry, `${at}: filter '${name}' appears twice`);
      seen.add(name);
      if (typeof factory['create'] !== 'function') throw invalid(entry, `${at}.create must be a function`);
      const schema = factory['configSchema'];
      if (schema !== undefined && !isConfigSchema(schema)) {
        throw invalid(
          entry,
          `${at}.configSchema must be a Standard Schema v1 validator (a zod schema, say: import { z } from 'aeraki/filter'), got ${describe(schema)}`,
        );
      }
      return item as FilterFactory;
    });
  }
}

/** How errors and registrations name a plugin: as given, with its file when that differs. */
function label(entry: PluginEntry): string {
  return entry.spec === entry.path ? `'${entry.spec}'` : `'${entry.spec}' (${entry.path})`;
}

function failed(entry: PluginEntry, cause: string, err: unknown): AerakiError {
  return new AerakiError(ErrorCodes.PLUGIN_LOAD_FAILED, `plugin ${label(entry)}: ${cause}`, { cause: err });
}

function invalid(entry: PluginEntry, cause: string, err?: unknown): AerakiError {
  return new AerakiError(
    ErrorCodes.PLUGIN_INVALID,
    `plugin ${label(entry)}: ${cause}`,
    err === undefined ? undefined : { cause: err },
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
