import type { Filter } from './filter.js';

/** The prefix of every filter name, as in Aeraki: `aeraki.meta_protocol.filters.<name>`. */
export const FILTER_NAME_PREFIX = 'aeraki.meta_protocol.filters.';

/**
 * A filter's registration: its name and how to make the filter a listener runs from the listener's
 * config for it. Provisional within SDK 1.x until the filter registry runs plugin filters: a plugin
 * may export factories of this shape today; aeraki checks and records them but does not run them yet.
 */
export interface FilterFactory {
  /** Full name, `aeraki.meta_protocol.filters.<name>`. */
  readonly name: string;
  /** The filter for one listener, given its config (possibly undefined). */
  create(config: unknown): Filter;
}

/**
 * What a plugin module's default export looks like, for its filters (its codecs: `CodecPlugin` in
 * `aeraki/codec`; one object may carry both).
 */
export interface FilterPlugin {
  /** As `CodecPlugin.sdkVersion`: a semver range or version of the SDK the plugin was written for. */
  readonly sdkVersion?: string;
  /** Filters to register, each under its own name. */
  readonly filters?: readonly FilterFactory[];
}
