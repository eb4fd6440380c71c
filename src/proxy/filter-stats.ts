import type { FilterBase } from '../filters/filter.js';
import type { ListenerState } from './listener-state.js';

/**
 * The counters of the filters of a listener that keep some (rate limits, plugin filters with
 * `stats`), by filter name, from both its decoder and encoder chains.
 */
export function listenerFilterStats(state: ListenerState): Record<string, object> {
  return filterStats([...state.decoders, ...state.encoders]);
}

/** The counters of the filters that keep some, by filter name. */
export function filterStats(filters: readonly FilterBase[]): Record<string, object> {
  const out: Record<string, object> = {};
  for (const filter of filters) {
    const stats = (filter as { stats?: unknown }).stats;
    if (typeof stats === 'object' && stats !== null) out[filter.name] = stats;
  }
  return out;
}

/** `aeraki.meta_protocol.filters.local_ratelimit` → `local_ratelimit`. */
export function shortFilterName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}
