import type { Logger } from 'pino';
import type { CreatedFilter, FilterRegistry } from '../filters/filter-registry.js';
import type { ListenerFilterResource, ListenerResource } from '../xds/resources.js';

interface Kept {
  readonly key: string;
  readonly created: CreatedFilter;
}

/**
 * The registry filters of every listener (the rate limits have ListenerRateLimits), kept across
 * config updates: an entry whose name, position and config are unchanged keeps its filter object,
 * hence its state and counters; a changed or removed one is closed once the listener stops using it.
 */
export class ListenerFilters {
  private readonly byListener = new Map<string, Kept[]>();

  constructor(
    private readonly registry: FilterRegistry,
    private readonly logger: Logger,
  ) {}

  /**
   * The listener's filters for `entries`, in order; made anew where the config changed. Throws (an
   * unknown filter, a config its schema refuses, a factory that throws) without changing what the
   * listener keeps: the previous version of the listener goes on with its filters.
   */
  filtersFor(resource: ListenerResource, entries: readonly ListenerFilterResource[]): CreatedFilter[] {
    const kept = this.byListener.get(resource.name) ?? [];
    const next: Kept[] = [];
    const made: Kept[] = [];
    try {
      entries.forEach((entry, i) => {
        const key = `${entry.name} ${JSON.stringify(entry.config ?? {})}`;
        const previous = kept[i];
        if (previous?.key === key) {
          next.push(previous);
          return;
        }
        const created = this.registry.create(entry.name, entry.config, {
          listenerName: resource.name,
          protocol: resource.protocol,
          logger: this.logger.child({ listener: resource.name, filter: entry.name }),
        });
        made.push({ key, created });
        next.push({ key, created });
      });
    } catch (err) {
      for (const k of made) closeFilter(k.created, this.logger);
      throw err;
    }
    for (const k of kept) if (!next.includes(k)) closeFilter(k.created, this.logger);
    if (next.length === 0) this.byListener.delete(resource.name);
    else this.byListener.set(resource.name, next);
    return next.map(k => k.created);
  }

  /** Closes the filters of listeners not in `listeners`. */
  retain(listeners: readonly ListenerResource[]): void {
    const names = new Set(listeners.map(l => l.name));
    for (const [name, kept] of this.byListener) {
      if (names.has(name)) continue;
      this.byListener.delete(name);
      for (const k of kept) closeFilter(k.created, this.logger);
    }
  }

  /** Closes every filter. */
  close(): void {
    for (const kept of this.byListener.values()) for (const k of kept) closeFilter(k.created, this.logger);
    this.byListener.clear();
  }
}

/** A filter's close runs behind its own boundary: a plugin's bug there must not stop a config update. */
function closeFilter(created: CreatedFilter, logger: Logger): void {
  try {
    created.filter.close?.();
  } catch (err) {
    logger.error({ err, filter: created.name }, 'filter close threw');
  }
}
