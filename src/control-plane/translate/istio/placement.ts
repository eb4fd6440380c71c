/**
 * Which namespaces get a service's EnvoyFilters. Istio applies an EnvoyFilter in the root namespace
 * to every workload, and one in another namespace to that namespace's workloads only, so visibility
 * is expressed by copies:
 *
 * 1. the MetaRouter's `exportTo`: one copy per namespace (`.` = the MetaRouter's, `*` = the root
 *    namespace, `~` = none), as the original does;
 * 2. else the ServiceEntry's own `exportTo`, read the same way (`.` = the entry's namespace): the
 *    original ignores it (its defect: a service exported to one namespace was patched into all);
 * 3. else the root namespace, or the entry's namespace with namespace scope on.
 */
import type { ConfigObject } from '../../model/config-set.js';
import type { MetaRouter, ServiceEntry } from '../../../api/index.js';
import type { IstioOptions } from './istio-options.js';

function fromExportTo(exportTo: readonly string[], own: string, options: IstioOptions): string[] {
  const namespaces = new Set<string>();
  for (const value of exportTo) {
    if (value === '~') continue;
    namespaces.add(value === '.' ? own : value === '*' ? options.rootNamespace : value);
  }
  return [...namespaces].sort();
}

export function placementOf(
  entry: ConfigObject<ServiceEntry>,
  router: ConfigObject<MetaRouter> | undefined,
  options: IstioOptions,
): string[] {
  const routerExport = router?.resource.spec.exportTo ?? [];
  if (router !== undefined && routerExport.length > 0)
    return fromExportTo(routerExport, router.namespace, options);
  const entryExport = entry.resource.spec.exportTo ?? [];
  if (entryExport.length > 0) return fromExportTo(entryExport, entry.namespace, options);
  return [options.namespaceScope ? entry.namespace : options.rootNamespace];
}
