import type { DecoderFilter } from '../filters/filter.js';

/** The counters of the filters that keep some (rate limits), by filter name. */
export function filterStats(filters: readonly DecoderFilter[]): Record<string, object> {
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
