/**
 * Which scopes of proxies a new config may change. A scope's translation reads only the
 * ServiceEntries, DestinationRules and MetaRouters exported to its namespace (see proxy-scope.ts), and
 * the kinds that have no `exportTo` (Sidecars, ApplicationProtocols, Redis kinds, Secrets). So an edit
 * of objects exported to some namespaces leaves the snapshots of every other namespace as they were:
 * those are kept, not translated again (with 10 namespaces at 10,000 services, translating every
 * scope again took seconds per edit).
 *
 * An object counts as changed when no object of the same kind and key was there before with the same
 * content (a source may hand over new objects for a rewritten file whose documents are mostly
 * unchanged); an object gone counts too. Its exports before and after both count: an object no
 * longer exported to a namespace changes that namespace's scope.
 */
import type { DestinationRule, KnownResource, MetaRouter, ServiceEntry } from '../../api/index.js';
import { sameJson } from '../same-json.js';
import type { ConfigObject, ConfigSet } from './config-set.js';
import type { ScopeIndex } from './proxy-scope.js';

/** The namespaces whose scopes may have changed, or every scope. */
export interface ScopeChanges {
  readonly all: boolean;
  readonly namespaces: ReadonlySet<string>;
  /** Hosts of the ServiceEntries that changed: a route may name them where they are not exported. */
  readonly hosts: ReadonlySet<string>;
}

export const EVERY_SCOPE: ScopeChanges = { all: true, namespaces: new Set(), hosts: new Set() };

type Exported = ServiceEntry | DestinationRule | MetaRouter;

/** The objects of `after` that are not in `before` with the same content, and those of `before` gone. */
function changedObjects<T extends KnownResource>(
  before: readonly ConfigObject<T>[],
  after: readonly ConfigObject<T>[],
): { readonly added: ConfigObject<T>[]; readonly removed: ConfigObject<T>[] } {
  const same = new Set<ConfigObject<T>>(before);
  const added: ConfigObject<T>[] = [];
  const kept = new Set<ConfigObject<T>>();
  let byKey: Map<string, ConfigObject<T>> | undefined;
  for (const object of after) {
    if (same.has(object)) {
      kept.add(object);
      continue;
    }
    byKey ??= new Map(before.map(o => [o.key, o]));
    const previous = byKey.get(object.key);
    if (
      previous !== undefined &&
      previous.namespace === object.namespace &&
      sameJson(previous.resource, object.resource)
    ) {
      kept.add(previous);
      continue;
    }
    added.push(object);
  }
  const removed = before.length === kept.size ? [] : before.filter(o => !kept.has(o));
  return { added, removed };
}

function sameList(before: readonly unknown[] | undefined, after: readonly unknown[] | undefined): boolean {
  const a = before ?? [];
  const b = after ?? [];
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The scopes `after` may change from `before`; `scopesBefore` and `scopesAfter` resolve the exports
 * of each config's objects.
 */
export function scopeChanges(
  before: ConfigSet,
  after: ConfigSet,
  scopesBefore: ScopeIndex,
  scopesAfter: ScopeIndex,
): ScopeChanges {
  // Kinds without exportTo: any change may reach any scope.
  if (
    !sameList(before.sidecars, after.sidecars) ||
    !sameList(before.applicationProtocols, after.applicationProtocols) ||
    !sameList(before.redisServices, after.redisServices) ||
    !sameList(before.redisDestinations, after.redisDestinations) ||
    !sameList(before.secrets, after.secrets)
  )
    return EVERY_SCOPE;
  const namespaces = new Set<string>();
  const hosts = new Set<string>();
  let all = false;
  const note = (object: ConfigObject<Exported>, scopes: ScopeIndex): void => {
    const exports = scopes.exportsOf(object);
    if (exports.everyone) all = true;
    for (const namespace of exports.namespaces) namespaces.add(namespace);
    if (object.resource.kind === 'ServiceEntry')
      for (const host of object.resource.spec.hosts) hosts.add(host);
  };
  const kinds = [
    changedObjects<Exported>(before.serviceEntries, after.serviceEntries),
    changedObjects<Exported>(before.destinationRules, after.destinationRules),
    changedObjects<Exported>(before.metaRouters, after.metaRouters),
  ];
  for (const { added, removed } of kinds) {
    for (const object of added) note(object, scopesAfter);
    for (const object of removed) note(object, scopesBefore);
  }
  return all ? EVERY_SCOPE : { all: false, namespaces, hosts };
}

/**
 * Whether a scope of `namespace` whose last translation named `invisibleClusters` (clusters of
 * services not exported to it, named by its routes) may change.
 */
export function scopeMayChange(
  changes: ScopeChanges,
  namespace: string,
  invisibleClusters: ReadonlySet<string>,
): boolean {
  if (changes.all || changes.namespaces.has(namespace)) return true;
  if (changes.hosts.size === 0) return false;
  // Cluster names end with their host: `outbound|<port>|<subset>|<host>`.
  for (const cluster of invisibleClusters) {
    if (changes.hosts.has(cluster.slice(cluster.lastIndexOf('|') + 1))) return true;
  }
  return false;
}
