import type { FilterBase } from '../filters/filter.js';
import { FILTER_NAME_PREFIX } from '../filters/filter-factory.js';
import type { ListenerState } from './listener-state.js';

/**
 * The counters of the filters of a listener that keep some (rate limits, plugin filters with
 * `stats`), by filter name, from both its decoder and encoder chains.
 */
export function listenerFilterStats(state: ListenerState): Record<string, object> {
  // Encoders run in reverse order: reversed back, a filter listed twice shows its last entry's counters.
  return filterStats([...state.decoders, ...[...state.encoders].reverse()]);
}

/**
 * The counters of the filters that keep some, by filter name. A plugin's `stats` getter that throws
 * leaves that filter out rather than failing the admin API or the scrape.
 */
export function filterStats(filters: readonly FilterBase[]): Record<string, object> {
  const out: Record<string, object> = {};
  for (const filter of filters) {
    let stats: unknown;
    try {
      stats = (filter as { stats?: unknown }).stats;
    } catch {
      continue;
    }
    if (typeof stats === 'object' && stats !== null) out[filter.name] = stats;
  }
  return out;
}

/**
 * The name a filter's counters go by in metrics and in `filterError`: what follows
 * `aeraki.meta_protocol.filters.`, with any character a Prometheus name cannot hold as `_`
 * (`aeraki.meta_protocol.filters.local_ratelimit` → `local_ratelimit`, `…filters.acme.deny-list` →
 * `acme_deny_list`), so that two plugins' `deny` filters under different prefixes stay apart.
 */
export function shortFilterName(name: string): string {
  const short = name.startsWith(FILTER_NAME_PREFIX)
    ? name.slice(FILTER_NAME_PREFIX.length)
    : name.slice(name.lastIndexOf('.') + 1);
  return short.replace(/[^A-Za-z0-9_]/g, '_');
}
