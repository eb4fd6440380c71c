import type { FilterFactory } from '../filters/filter-factory.js';

/**
 * Where the plugin loader hands the filter factories that plugins export: the proxy's
 * FilterRegistry, which runs them on the listeners that configure them.
 */
export interface FilterSink {
  /** Who registered `name` already (`built in` or a plugin), if anyone. */
  ownerOf(name: string): string | undefined;
  /** Takes a checked factory from the plugin `origin`. */
  add(factory: FilterFactory, origin: string): void;
}
