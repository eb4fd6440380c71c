import type { FilterFactory } from '../filters/filter-factory.js';

/**
 * Where the plugin loader hands the filter factories that plugins export. The filter registry (which
 * will run them on listeners that configure them) plugs in here; until then {@link RecordedFilters}
 * only keeps them, so that names are checked and reported.
 */
export interface FilterSink {
  /** Who registered `name` already (`built in` or a plugin), if anyone. */
  ownerOf(name: string): string | undefined;
  /** Takes a checked factory from the plugin `origin`. */
  add(factory: FilterFactory, origin: string): void;
}

/** A filter a plugin provided, and which plugin. */
export interface RecordedFilter {
  readonly factory: FilterFactory;
  readonly origin: string;
}

/** The sink of today: records plugin filters (they are not run yet), refusing built-in names. */
export class RecordedFilters implements FilterSink {
  private readonly byName = new Map<string, string>();
  readonly filters: RecordedFilter[] = [];

  /** @param builtinNames the names of the filters built into aeraki, which no plugin may take */
  constructor(builtinNames: Iterable<string>) {
    for (const name of builtinNames) this.byName.set(name, 'built in');
  }

  ownerOf(name: string): string | undefined {
    return this.byName.get(name);
  }

  add(factory: FilterFactory, origin: string): void {
    this.byName.set(factory.name, origin);
    this.filters.push({ factory, origin });
  }
}
