/**
 * What the proxies of one namespace (or of the workloads a Sidecar selects) may see, with Istio's
 * rules:
 *
 * - a ServiceEntry is visible where its `exportTo` (or the mesh default) exports it; a Sidecar then
 *   narrows what is imported to its `egress.hosts` (`namespace/dnsName`): for a service's namespace,
 *   the entries that name that namespace decide, else the entries for any namespace (`*`) do;
 * - the MetaRouter used for a host is the first one exported to the proxy's namespace, those private
 *   to that namespace first, then those exported to it by name, then those exported to everyone (the
 *   order istiod gives VirtualServices);
 * - the DestinationRule used for a host is the most specific one, looked for first in the proxy's
 *   namespace, then in the service's namespace, then in the root namespace, each exported to the
 *   proxy's namespace (istiod's precedence; in the root namespace itself, first its private rules);
 * - a route may name a service the scope does not import (as a VirtualService destination may): its
 *   clusters are sent if that service is exported to the namespace, and left out otherwise.
 *
 * A proxy that names no namespace (only on the plaintext port, for local use and compatibility) is
 * not scoped: it sees the whole mesh, as every proxy did before scoping.
 */
import {
  parseEgressHost,
  type DestinationRule,
  type MetaRouter,
  type ServiceEntry,
  type ServicePort,
  type Sidecar,
} from '../../api/index.js';
import type { ConfigIndex, ProtocolBinding } from './config-index.js';
import type { ConfigObject } from './config-set.js';
import {
  describeExports,
  exportRank,
  exportsTo,
  resolveExports,
  type Exports,
  type MeshOptions,
} from './mesh-options.js';
import { scopeNamespace, type ProxyInfo } from './proxy-info.js';

/** The key of the scope of proxies that name no namespace: the whole mesh. */
export const WHOLE_MESH = '*';

/** One egress listener of a Sidecar, its hosts grouped by namespace (`.` resolved). */
interface ImportRule {
  readonly port: number | undefined;
  readonly hostsByNamespace: ReadonlyMap<string, readonly string[]>;
}

/** Whether `host` is selected by an egress dnsName (`*`, `*.suffix` or a host). */
function dnsNameMatches(dnsName: string, host: string): boolean {
  if (dnsName === '*') return true;
  if (dnsName.startsWith('*.')) return host.endsWith(dnsName.slice(1));
  return dnsName === host;
}

/** Why a proxy does or does not see a service (`aeraki status --why`, `aeraki explain`). */
export interface VisibilityExplanation {
  readonly host: string;
  /** The scope's namespace; absent for a proxy that names none (it sees everything). */
  readonly namespace?: string;
  /** Where the namespace came from. */
  readonly namespaceFrom: 'identity' | 'node' | 'none';
  /** The Sidecar whose egress scope applies (`namespace/name`). */
  readonly sidecar?: string;
  readonly visible: boolean;
  /** Each step of the decision, for people. */
  readonly reasons: readonly string[];
  /** The MetaRouter and DestinationRule the proxy gets for the host, when it sees it. */
  readonly metaRouter?: string;
  readonly destinationRule?: string;
}

/**
 * Visibility over one config: the objects' exports resolved once, and the scope of any proxy. Built
 * per config (cheap: everything is worked out when first asked).
 */
export class ScopeIndex {
  private readonly exports = new WeakMap<object, Exports>();
  private readonly scopes = new Map<string, ProxyScope>();
  private sidecarsByNamespace: Map<string, ConfigObject<Sidecar>[]> | undefined;

  constructor(
    readonly index: ConfigIndex,
    readonly mesh: MeshOptions,
  ) {}

  /** To whom a ServiceEntry, DestinationRule or MetaRouter is exported. */
  exportsOf(object: ConfigObject<ServiceEntry | DestinationRule | MetaRouter>): Exports {
    let exports = this.exports.get(object);
    if (exports === undefined) {
      const defaults =
        object.resource.kind === 'ServiceEntry'
          ? this.mesh.defaultServiceExportTo
          : object.resource.kind === 'DestinationRule'
            ? this.mesh.defaultDestinationRuleExportTo
            : this.mesh.defaultMetaRouterExportTo;
      exports = resolveExports(object.resource.spec.exportTo, object.namespace, defaults);
      this.exports.set(object, exports);
    }
    return exports;
  }

  /**
   * The Sidecar of a proxy in `namespace` with `labels`: one of its namespace whose selector matches,
   * else its namespace's without a selector, else the root namespace's without a selector.
   */
  sidecarFor(namespace: string, labels: Readonly<Record<string, string>>): ConfigObject<Sidecar> | undefined {
    if (this.sidecarsByNamespace === undefined) {
      this.sidecarsByNamespace = new Map();
      for (const sidecar of this.index.config.sidecars ?? []) {
        const list = this.sidecarsByNamespace.get(sidecar.namespace) ?? [];
        list.push(sidecar);
        this.sidecarsByNamespace.set(sidecar.namespace, list);
      }
    }
    const own = this.sidecarsByNamespace.get(namespace) ?? [];
    const selected = own.find(s => {
      const selector = s.resource.spec.workloadSelector?.labels;
      return (
        selector !== undefined &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([k, v]) => labels[k] === v)
      );
    });
    if (selected !== undefined) return selected;
    const isDefault = (s: ConfigObject<Sidecar>): boolean =>
      Object.keys(s.resource.spec.workloadSelector?.labels ?? {}).length === 0;
    return (
      own.find(isDefault) ?? (this.sidecarsByNamespace.get(this.mesh.rootNamespace) ?? []).find(isDefault)
    );
  }

  /** The scope a proxy is served from; undefined for the whole mesh (a proxy naming no namespace). */
  scopeOf(info: ProxyInfo): ProxyScope | undefined {
    const namespace = scopeNamespace(info);
    if (namespace === undefined) return undefined;
    return this.scope(namespace, this.sidecarFor(namespace, info.labels));
  }

  /** The scope of a key from {@link scopeOf}, or undefined when it has none now. */
  scopeByKey(key: string): ProxyScope | undefined {
    return this.scopes.get(key);
  }

  private scope(namespace: string, sidecar: ConfigObject<Sidecar> | undefined): ProxyScope {
    const key = sidecar === undefined ? `ns:${namespace}` : `ns:${namespace}|sidecar:${sidecar.key}`;
    let scope = this.scopes.get(key);
    if (scope === undefined) {
      scope = new ProxyScope(this, key, namespace, sidecar);
      this.scopes.set(key, scope);
    }
    return scope;
  }

  /** Why the proxy `info` does or does not see `host`. */
  explain(info: ProxyInfo, host: string): VisibilityExplanation {
    const namespace = scopeNamespace(info);
    const namespaceFrom =
      info.identity !== undefined ? 'identity' : namespace !== undefined ? 'node' : 'none';
    const entries = this.index.serviceEntriesFor(host);
    if (namespace === undefined) {
      const visible = entries.length > 0;
      return {
        host,
        namespaceFrom,
        visible,
        reasons: [
          'the proxy names no namespace (node metadata NAMESPACE, or an Istio node id): it is not scoped and sees every service',
          visible
            ? `${host} is defined by ServiceEntry ${entries[0]!.key}`
            : `no ServiceEntry defines ${host}`,
        ],
      };
    }
    const scope = this.scopeOf(info)!;
    const reasons: string[] = [
      namespaceFrom === 'identity'
        ? `the proxy is scoped to namespace ${namespace}, its identity's (${info.identity!.principal})${info.claimedNamespace !== undefined && info.claimedNamespace !== namespace ? `; its node claims ${info.claimedNamespace}, which is ignored` : ''}`
        : `the proxy is scoped to namespace ${namespace}, as its node says`,
      scope.sidecar === undefined
        ? 'no Sidecar applies: it may import every service exported to its namespace'
        : `Sidecar ${scope.sidecar.key} applies: it imports ${scope.describeImports()}`,
    ];
    if (entries.length === 0) {
      reasons.push(`no ServiceEntry defines ${host}`);
      return { host, namespace, namespaceFrom, ...sidecarKey(scope), visible: false, reasons };
    }
    let visible = false;
    for (const entry of entries) {
      const exports = this.exportsOf(entry);
      const written = entry.resource.spec.exportTo;
      const exportedHere = exportsTo(exports, namespace);
      reasons.push(
        `ServiceEntry ${entry.key} is exported to ${describeExports(exports)}${written === undefined || written.length === 0 ? ' (the mesh default)' : ` (exportTo: [${written.join(', ')}])`}${exportedHere ? '' : `, not to ${namespace}`}`,
      );
      if (!exportedHere) continue;
      const imported = entry.resource.spec.ports.filter(p => scope.imports(entry, p));
      if (imported.length === 0) {
        reasons.push(`Sidecar ${scope.sidecar?.key ?? ''} does not import it`);
        continue;
      }
      visible = true;
      if (scope.sidecar !== undefined)
        reasons.push(
          `Sidecar ${scope.sidecar.key} imports port${imported.length === 1 ? '' : 's'} ${imported.map(p => p.number).join(', ')}`,
        );
      break;
    }
    const router = visible ? scope.metaRouterFor(host) : undefined;
    const rule = visible ? scope.destinationRuleFor(host) : undefined;
    if (visible) {
      const routers = this.index.metaRoutersFor(host);
      if (router !== undefined) reasons.push(`MetaRouter ${router.key} routes it`);
      else if (routers.length > 0)
        reasons.push(
          `no MetaRouter for it is exported to ${namespace} (${routers.map(r => r.key).join(', ')} ${routers.length === 1 ? 'is' : 'are'} not): the default route is used`,
        );
      if (rule !== undefined) reasons.push(`DestinationRule ${rule.key} applies`);
    }
    return {
      host,
      namespace,
      namespaceFrom,
      ...sidecarKey(scope),
      visible,
      reasons,
      ...(router === undefined ? {} : { metaRouter: router.key }),
      ...(rule === undefined ? {} : { destinationRule: rule.key }),
    };
  }
}

function sidecarKey(scope: ProxyScope): { sidecar?: string } {
  return scope.sidecar === undefined ? {} : { sidecar: scope.sidecar.key };
}

/**
 * One scope's view of the config: the lookups translation makes (as ConfigIndex's, scoped), and which
 * service ports it imports. Answers are cached for the scope's lifetime (one config).
 */
export class ProxyScope {
  private readonly rules = new Map<string, ConfigObject<DestinationRule> | undefined>();
  private readonly routers = new Map<string, ConfigObject<MetaRouter> | undefined>();
  /** The Sidecar's egress listeners; undefined: no Sidecar, everything exported is imported. */
  private readonly importRules: readonly ImportRule[] | undefined;

  constructor(
    private readonly scopes: ScopeIndex,
    readonly key: string,
    readonly namespace: string,
    readonly sidecar: ConfigObject<Sidecar> | undefined,
  ) {
    this.importRules = sidecar === undefined ? undefined : importRulesOf(sidecar, namespace);
  }

  protocol(name: string): ProtocolBinding | undefined {
    return this.scopes.index.protocol(name);
  }

  resolveHost(written: string, namespace: string): string | undefined {
    return this.scopes.index.resolveHost(written, namespace);
  }

  /** Whether a ServiceEntry is exported to this scope's namespace. */
  sees(entry: ConfigObject<ServiceEntry>): boolean {
    return exportsTo(this.scopes.exportsOf(entry), this.namespace);
  }

  /** Whether this scope imports a port of a ServiceEntry: exported here, and in the Sidecar's hosts. */
  imports(entry: ConfigObject<ServiceEntry>, port: ServicePort): boolean {
    if (!this.sees(entry)) return false;
    const rules = this.importRules;
    if (rules === undefined) return true;
    for (const rule of rules) {
      if (rule.port !== undefined && rule.port !== port.number) continue;
      // Entries naming the service's namespace decide; only without any do those for any namespace.
      const named = rule.hostsByNamespace.get(entry.namespace) ?? rule.hostsByNamespace.get('*');
      if (named === undefined) continue;
      if (entry.resource.spec.hosts.some(h => named.some(d => dnsNameMatches(d, h)))) return true;
    }
    return false;
  }

  /** Whether the clusters of `host:port` may be sent: its service is exported to this namespace. */
  seesServicePort(host: string, port: number): boolean {
    const ref = this.scopes.index.servicePort(host, port);
    return ref !== undefined && this.sees(ref.serviceEntry);
  }

  /** The MetaRouter the scope uses for `host` (see the file comment for the order). */
  metaRouterFor(host: string): ConfigObject<MetaRouter> | undefined {
    if (this.routers.has(host)) return this.routers.get(host);
    let best: { router: ConfigObject<MetaRouter>; rank: number } | undefined;
    for (const router of this.scopes.index.metaRoutersFor(host)) {
      const rank = exportRank(this.scopes.exportsOf(router), router.namespace, this.namespace);
      if (rank === undefined) continue;
      if (best === undefined || rank < best.rank) best = { router, rank };
      if (rank === 0) break;
    }
    this.routers.set(host, best?.router);
    return best?.router;
  }

  /** The DestinationRule the scope uses for `host` (see the file comment for the precedence). */
  destinationRuleFor(host: string): ConfigObject<DestinationRule> | undefined {
    if (this.rules.has(host)) return this.rules.get(host);
    const candidates = this.scopes.index.destinationRulesFor(host);
    const root = this.scopes.mesh.rootNamespace;
    const serviceNamespace = this.scopes.index.serviceEntriesFor(host).find(e => this.sees(e))?.namespace;
    const exported = (rule: ConfigObject<DestinationRule>): boolean =>
      exportsTo(this.scopes.exportsOf(rule), this.namespace);
    const isPrivate = (rule: ConfigObject<DestinationRule>): boolean =>
      this.scopes.exportsOf(rule).privateToOwn;
    const found =
      (this.namespace !== root
        ? candidates.find(r => r.namespace === this.namespace && exported(r))
        : candidates.find(r => r.namespace === root && isPrivate(r))) ??
      (serviceNamespace === undefined
        ? undefined
        : candidates.find(r => r.namespace === serviceNamespace && exported(r))) ??
      candidates.find(r => r.namespace === root && exported(r) && !isPrivate(r));
    this.rules.set(host, found);
    return found;
  }

  /** The Sidecar's egress hosts, for people. */
  describeImports(): string {
    const hosts = (this.sidecar?.resource.spec.egress ?? []).flatMap(l =>
      l.hosts.map(h => (l.port?.number === undefined ? h : `${h} (port ${l.port.number})`)),
    );
    return hosts.length === 0 ? 'every service exported to its namespace' : hosts.join(', ');
  }
}

function importRulesOf(sidecar: ConfigObject<Sidecar>, namespace: string): ImportRule[] {
  const listeners = sidecar.resource.spec.egress ?? [];
  // A Sidecar without egress listeners imports everything exported to the namespace (Istio's `*/*`).
  if (listeners.length === 0) return [{ port: undefined, hostsByNamespace: new Map([['*', ['*']]]) }];
  return listeners.map(listener => {
    const hostsByNamespace = new Map<string, string[]>();
    for (const entry of listener.hosts) {
      const host = parseEgressHost(entry);
      if (host === undefined) continue;
      // `.` is the proxy's namespace (a root-namespace default Sidecar applies to every namespace).
      const ns = host.namespace === '.' ? namespace : host.namespace;
      const list = hostsByNamespace.get(ns) ?? [];
      list.push(host.dnsName);
      hostsByNamespace.set(ns, list);
    }
    const port = listener.port?.number;
    return { port: port === undefined || port === 0 ? undefined : port, hostsByNamespace };
  });
}
