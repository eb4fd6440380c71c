/**
 * The order in which one proxy is sent resource types, following Envoy's make-before-break rules for
 * ADS: clusters, then their endpoints, then the listeners and routes that use them. Types we do not
 * know come last, by type URL.
 */
import { TypeUrls } from '../../xds/index.js';

const ORDER: readonly string[] = [
  TypeUrls.cluster,
  TypeUrls.clusterLoadAssignment,
  TypeUrls.listener,
  TypeUrls.routeConfiguration,
];

/** `typeUrls` in push order. */
export function inPushOrder(typeUrls: Iterable<string>): string[] {
  const rank = (t: string): number => {
    const i = ORDER.indexOf(t);
    return i === -1 ? ORDER.length : i;
  };
  return [...typeUrls].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Types whose first request with no names means "everything" (LDS and CDS). */
export function isWildcardType(typeUrl: string): boolean {
  return typeUrl === TypeUrls.listener || typeUrl === TypeUrls.cluster;
}

/** Types that name the clusters kept alive for make-before-break (clusters and endpoints do not). */
export function holdsClusterRefs(typeUrl: string): boolean {
  return typeUrl !== TypeUrls.cluster && typeUrl !== TypeUrls.clusterLoadAssignment;
}

/** Types whose removed resources stay while a route still names them. */
export function isClusterScoped(typeUrl: string): boolean {
  return typeUrl === TypeUrls.cluster || typeUrl === TypeUrls.clusterLoadAssignment;
}

/**
 * Types whose state-of-the-world responses may carry only the resources that changed (xDS: every type
 * but LDS and CDS, whose responses must list every resource, as absence means removal). A client keeps
 * the RDS and EDS resources it holds until it unsubscribes from them, so after an edit of one route
 * table a proxy is sent that table, not every table it subscribes to.
 */
export function sendsChangesOnly(typeUrl: string): boolean {
  return typeUrl === TypeUrls.routeConfiguration || typeUrl === TypeUrls.clusterLoadAssignment;
}
