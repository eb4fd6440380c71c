import type { ConfigSchema } from './config-schema.js';
import type { Filter } from './filter.js';

/** The prefix of every filter name, as in Aeraki: `aeraki.meta_protocol.filters.<name>`. */
export const FILTER_NAME_PREFIX = 'aeraki.meta_protocol.filters.';

/** Where a filter logs: a child of the proxy's logger that names the filter and the listener. */
export interface FilterLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** What a filter learns about the listener it is made for. */
export interface FilterContext {
  /** The listener's name (`<address>_<port>`). */
  readonly listenerName: string;
  /** Its application protocol (`thrift`, `dubbo`, a plugin's). */
  readonly protocol: string;
  readonly logger: FilterLogger;
}

/**
 * A filter's registration in the filter registry: its name, the config it takes, and how to make the
 * filter one listener runs.
 *
 * @typeParam C the config the filter gets: what its schema outputs (defaults applied)
 */
export interface FilterFactory<C = unknown> {
  /** Full name, `aeraki.meta_protocol.filters.<name>`: what `meta_protocol_filters` and YAML name. */
  readonly name: string;
  /**
   * The config it takes, as a Standard Schema v1 validator (for example a zod schema: `z` is
   * re-exported by `aeraki/filter`). A listener's config for the filter — a JSON object, `{}` when
   * none is given — is checked with it before the listener is built; problems reject that listener
   * (and fail `aeraki validate`) naming the field. Without a schema the filter gets the object as it is.
   */
  readonly configSchema?: ConfigSchema<C>;
  /**
   * The filter for one listener, given its checked config. Called when a listener is built, and again
   * only when that listener's config for the filter changes; a throw rejects the listener, naming
   * the filter and the cause.
   */
  create(config: C, context: FilterContext): Filter;
}

/**
 * What a plugin module's default export looks like, for its filters (its codecs: `CodecPlugin` in
 * `aeraki/codec`; one object may carry both).
 */
export interface FilterPlugin {
  /** As `CodecPlugin.sdkVersion`: a semver range or version of the SDK the plugin was written for. */
  readonly sdkVersion?: string;
  /** Filters to register, each under its own name. */
  readonly filters?: readonly FilterFactory<unknown>[];
}

/**
 * Declares a filter factory with its config type taken from its schema: `defineFilter({ name,
 * configSchema: z.object({ … }), create(config) { … } })` types `config` without repeating it.
 */
export function defineFilter<C>(factory: FilterFactory<C>): FilterFactory<C> {
  return factory;
}

/** `aeraki.meta_protocol.filters.<short>` for a short name (`deny_tenant`). */
export function filterName(short: string): string {
  return FILTER_NAME_PREFIX + short;
}
