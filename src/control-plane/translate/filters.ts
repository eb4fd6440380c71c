/**
 * A MetaRouter's `spec.filters` as the filter chain of the listeners of its service: the listed
 * filters in order, each with its config; the rate limits (`localRateLimit`, `globalRateLimit`) where
 * they are listed, else first (local, then global); the router, listed or not, last and implicit.
 */
import type { MetaRouter } from '../../api/index.js';
import { normalFilterChain } from '../../xds/listener-filters.js';
import type { ListenerFilterResource, ListenerResource } from '../../xds/resources.js';
import {
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_ROUTER_FILTER,
} from '../../xds/type-urls.js';
import type { ConfigObject } from '../model/config-set.js';

export function buildFilterChain(
  router: ConfigObject<MetaRouter> | undefined,
  rateLimits: Pick<ListenerResource, 'localRateLimit' | 'globalRateLimit'>,
): Pick<ListenerResource, 'filters'> {
  const listed = router?.resource.spec.filters;
  if (listed === undefined || listed.length === 0) return {};
  const names = new Set(listed.map(f => f.name));
  const chain: ListenerFilterResource[] = [];
  const limits: [string, unknown][] = [
    [META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER, rateLimits.localRateLimit],
    [META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER, rateLimits.globalRateLimit],
  ];
  for (const [name, limit] of limits) if (limit !== undefined && !names.has(name)) chain.push({ name });
  for (const filter of listed) {
    if (filter.name === META_PROTOCOL_ROUTER_FILTER) continue;
    const limit = limits.find(([name]) => name === filter.name);
    if (limit !== undefined) {
      if (limit[1] !== undefined) chain.push({ name: filter.name });
      continue;
    }
    chain.push(
      filter.config === undefined ? { name: filter.name } : { name: filter.name, config: filter.config },
    );
  }
  const normal = normalFilterChain(chain);
  return normal === undefined ? {} : { filters: normal };
}
