/**
 * The mesh-wide settings that decide what a proxy may see, named as in Istio's MeshConfig: the root
 * namespace (whose Sidecar without a selector is every namespace's default, and whose
 * DestinationRules apply mesh-wide) and the default `exportTo` of each kind that has one.
 */

/** Istio's MeshConfig fields this control plane reads. */
export interface MeshOptions {
  /** Istio's `rootNamespace` (default `istio-system`). */
  readonly rootNamespace: string;
  /** `exportTo` of a ServiceEntry that has none (Istio's `defaultServiceExportTo`; default `*`). */
  readonly defaultServiceExportTo: readonly string[];
  /** Of a DestinationRule (Istio's `defaultDestinationRuleExportTo`; default `*`). */
  readonly defaultDestinationRuleExportTo: readonly string[];
  /** Of a MetaRouter, as Istio's `defaultVirtualServiceExportTo` is of a VirtualService (default `*`). */
  readonly defaultMetaRouterExportTo: readonly string[];
}

export const DEFAULT_MESH_OPTIONS: MeshOptions = {
  rootNamespace: 'istio-system',
  defaultServiceExportTo: ['*'],
  defaultDestinationRuleExportTo: ['*'],
  defaultMetaRouterExportTo: ['*'],
};

/** To whom an object is exported, resolved: everyone, or a set of namespaces (empty: nobody). */
export interface Exports {
  readonly everyone: boolean;
  readonly namespaces: ReadonlySet<string>;
  /** Exported only to its own namespace (Istio's "private" scope). */
  readonly privateToOwn: boolean;
}

/**
 * `exportTo` as Istio reads it for an object of `ownNamespace`: `.` is that namespace, `*` everyone,
 * `~` nobody, any other entry a namespace; an empty or absent list takes `defaults`.
 */
export function resolveExports(
  exportTo: readonly string[] | undefined,
  ownNamespace: string,
  defaults: readonly string[],
): Exports {
  const list = exportTo === undefined || exportTo.length === 0 ? defaults : exportTo;
  if (list.includes('*')) return { everyone: true, namespaces: new Set(), privateToOwn: false };
  const namespaces = new Set<string>();
  for (const entry of list) {
    if (entry === '~') continue;
    namespaces.add(entry === '.' ? ownNamespace : entry);
  }
  return {
    everyone: false,
    namespaces,
    privateToOwn: namespaces.size === 1 && namespaces.has(ownNamespace),
  };
}

/** Whether `exports` reaches `namespace`. */
export function exportsTo(exports: Exports, namespace: string): boolean {
  return exports.everyone || exports.namespaces.has(namespace);
}

/** `exports` as written for people: `*`, `nobody`, or the namespaces. */
export function describeExports(exports: Exports): string {
  if (exports.everyone) return 'every namespace';
  if (exports.namespaces.size === 0) return 'no namespace';
  return `namespace${exports.namespaces.size === 1 ? '' : 's'} ${[...exports.namespaces].sort().join(', ')}`;
}

/**
 * Where an object of `ownNamespace` exported as `exports` ranks for the proxies of `namespace`, in the
 * order istiod gives VirtualServices: 0 private to that namespace, 1 exported to it by name, 2
 * exported to everyone; undefined when it is not exported there.
 */
export function exportRank(exports: Exports, ownNamespace: string, namespace: string): 0 | 1 | 2 | undefined {
  if (!exportsTo(exports, namespace)) return undefined;
  if (exports.privateToOwn && ownNamespace === namespace) return 0;
  return exports.everyone ? 2 : 1;
}
