/**
 * The registry of filters by name: the built-ins, and the filters plugins bring. Each configurable
 * filter has its own config schema, checked when a listener's config arrives; a listener gets its
 * own filter per configured entry ({@link FilterRegistry.create}). A plugin's filter runs in its
 * request's scope (filter-scope.ts), so that what it throws, now or later, fails only that request.
 */
import { AerakiError, ErrorCodes } from '../errors.js';
import { checkConfig, formatConfigPath, type CheckedConfig } from './config-schema.js';
import type { DecoderFilter, EncoderFilter, Filter } from './filter.js';
import { isDecoderFilter, isEncoderFilter } from './filter.js';
import { FILTER_NAME_PREFIX, type FilterContext, type FilterFactory } from './filter-factory.js';
import { scopeFilter } from './filter-scope.js';

/**
 * Built-in filters a listener configures through its own fields rather than through the registry:
 * the router (always last), the rate limits (Aeraki's typed configs), and Aeraki's Istio telemetry
 * filters, which the proxy's always-on stats replace. No plugin may take their names.
 */
export const LISTENER_FILTERS: Readonly<Record<string, string>> = {
  [`${FILTER_NAME_PREFIX}router`]: 'the router, always last',
  [`${FILTER_NAME_PREFIX}local_ratelimit`]: "configured by MetaRouter's localRateLimit",
  [`${FILTER_NAME_PREFIX}ratelimit`]: "configured by MetaRouter's globalRateLimit",
  [`${FILTER_NAME_PREFIX}metadata_exchange`]: "Istio telemetry, replaced by aeraki's own stats",
  [`${FILTER_NAME_PREFIX}istio_stats`]: "Istio telemetry, replaced by aeraki's own stats",
};

const BUILT_IN = 'built in';

interface Entry {
  /** Absent for the {@link LISTENER_FILTERS}. */
  readonly factory: FilterFactory | undefined;
  readonly origin: string;
  /** A plugin's filter: run in its request's scope. */
  readonly scoped: boolean;
}

/** A filter made for one listener, split by direction as the listener's chains hold it. */
export interface CreatedFilter {
  readonly name: string;
  readonly decoder: DecoderFilter | undefined;
  readonly encoder: EncoderFilter | undefined;
  /** The filter itself (for close). */
  readonly filter: Filter;
}

export class FilterRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor() {
    for (const name of Object.keys(LISTENER_FILTERS))
      this.entries.set(name, { factory: undefined, origin: BUILT_IN, scoped: false });
  }

  /** Every registered name, built-ins first. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Who registered `name` (`built in` or a plugin), if anyone. */
  ownerOf(name: string): string | undefined {
    return this.entries.get(name)?.origin;
  }

  /** Whether `name` is one of the {@link LISTENER_FILTERS}. */
  isListenerFilter(name: string): boolean {
    return this.entries.get(name)?.factory === undefined && this.entries.has(name);
  }

  /** Registers a built-in filter (run as aeraki's own code). */
  register(factory: FilterFactory): void {
    this.put(factory, BUILT_IN, false);
  }

  /** Takes a checked factory from the plugin `origin` (the plugin loader's sink). */
  add(factory: FilterFactory, origin: string): void {
    this.put(factory, origin, true);
  }

  private put(factory: FilterFactory, origin: string, scoped: boolean): void {
    const owner = this.entries.get(factory.name)?.origin;
    if (owner !== undefined) {
      throw new AerakiError(
        ErrorCodes.PLUGIN_INVALID,
        `filter '${factory.name}' is already registered (${owner})`,
      );
    }
    this.entries.set(factory.name, { factory, origin, scoped });
  }

  /**
   * Checks a listener's config for the filter `name` with the filter's schema (`{}` when none is
   * given). Undefined when no configurable filter has that name.
   */
  check(name: string, config: unknown): CheckedConfig | undefined {
    const factory = this.entries.get(name)?.factory;
    if (factory === undefined) return undefined;
    return checkConfig(factory.configSchema, config ?? {});
  }

  /**
   * The filter `name` for one listener, made with its checked config. Throws AERAKI_ERR_FILTER_UNKNOWN
   * for a name nothing registered, AERAKI_ERR_CONFIG_INVALID for a config the schema refuses (naming
   * each field) or a factory that throws.
   */
  create(name: string, config: unknown, context: FilterContext): CreatedFilter {
    const entry = this.entries.get(name);
    const factory = entry?.factory;
    if (entry === undefined || factory === undefined) {
      throw new AerakiError(
        ErrorCodes.FILTER_UNKNOWN,
        entry === undefined
          ? `filter '${name}' is not registered: neither built in nor brought by a --plugin (registered: ${this.configurable().join(', ') || 'none'})`
          : `filter '${name}' (${LISTENER_FILTERS[name]}) takes no entry config of its own here`,
      );
    }
    const checked = checkConfig(factory.configSchema, config ?? {});
    if (!checked.ok) {
      const problems = checked.problems
        .map(p => (p.path.length === 0 ? p.message : `${formatConfigPath(p.path)}: ${p.message}`))
        .join('; ');
      throw new AerakiError(ErrorCodes.CONFIG_INVALID, `filter '${name}': config rejected: ${problems}`);
    }
    let filter: Filter;
    try {
      filter = factory.create(checked.value, context);
    } catch (err) {
      throw new AerakiError(
        ErrorCodes.CONFIG_INVALID,
        `filter '${name}' (${entry.origin}) failed to start: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (
      filter === null ||
      typeof filter !== 'object' ||
      (!isDecoderFilter(filter) && !isEncoderFilter(filter))
    ) {
      throw new AerakiError(
        ErrorCodes.CONFIG_INVALID,
        `filter '${name}' (${entry.origin}): create() must return an object with onRequest and/or onResponse`,
      );
    }
    if (entry.scoped) return { name, filter, ...scopeFilter(filter, name) };
    return {
      name,
      filter,
      decoder: isDecoderFilter(filter) ? filter : undefined,
      encoder: isEncoderFilter(filter) ? filter : undefined,
    };
  }

  /** Names a listener can configure through the registry. */
  private configurable(): string[] {
    return [...this.entries].filter(([, e]) => e.factory !== undefined).map(([name]) => name);
  }
}
