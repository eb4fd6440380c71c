/**
 * Lookups between config objects, with one host-matching rule for every kind: a host written in a
 * MetaRouter or DestinationRule means the ServiceEntry host spelled exactly the same, or, for a short
 * name without dots, `<name>.<namespace>.svc.cluster.local` (the namespace of the object that wrote it).
 * Where several objects compete, the first in config order (namespace, then name) wins.
 *
 * Every lookup is a map access: DestinationRules and MetaRouters are indexed by the host they name
 * when the index is built, so translating N services costs O(N), not O(N²) scans of every object.
 */
import {
  BUILTIN_APPLICATION_PROTOCOLS,
  type ApplicationProtocol,
  type DestinationRule,
  type MetaRouter,
  type ServiceEntry,
  type ServicePort,
} from '../../api/index.js';
import type { ConfigObject, ConfigSet } from './config-set.js';

const NO_RULES: readonly ConfigObject<DestinationRule>[] = [];

/** The suffix Kubernetes gives service names. */
export const CLUSTER_DOMAIN = 'svc.cluster.local';

/** What a protocol name in a port name resolves to. */
export interface ProtocolBinding {
  readonly protocol: string;
  readonly codec: string;
  readonly multiplexing: boolean;
  /** The codec's settings (ApplicationProtocol `codecConfig`, or a declarative codec's `declarativeCodec`). */
  readonly codecConfig?: Readonly<Record<string, unknown>>;
  /** The document that registered it; absent for the built-in dubbo and thrift. */
  readonly source?: ConfigObject<ApplicationProtocol>;
}

/** A port of a ServiceEntry, found by host and number. */
export interface ServicePortRef {
  readonly serviceEntry: ConfigObject<ServiceEntry>;
  readonly port: ServicePort;
}

/** True if `written` (in an object of `namespace`) names `host`. */
export function hostMatches(written: string, namespace: string, host: string): boolean {
  if (written === host) return true;
  if (written.startsWith('*')) return host.endsWith(written.slice(1)) && host.length > written.length - 1;
  return !written.includes('.') && `${written}.${namespace}.${CLUSTER_DOMAIN}` === host;
}

export class ConfigIndex {
  private readonly protocols = new Map<string, ProtocolBinding>();
  private readonly entriesByHost = new Map<string, ConfigObject<ServiceEntry>[]>();
  private readonly rulesByHost = new Map<string, readonly ConfigObject<DestinationRule>[]>();
  /** Non-wildcard DestinationRules by each host they can name (as written, and qualified if short). */
  private readonly exactRules = new Map<string, ConfigObject<DestinationRule>[]>();
  /** Wildcard DestinationRules (`*.example.com`), matched host by host. */
  private readonly wildcardRules: ConfigObject<DestinationRule>[] = [];
  /** Position of each DestinationRule in config order, the tie-breaker. */
  private readonly ruleOrder = new Map<ConfigObject<DestinationRule>, number>();
  private routersByHost: Map<string, ConfigObject<MetaRouter>[]> | undefined;

  constructor(readonly config: ConfigSet) {
    for (const builtin of BUILTIN_APPLICATION_PROTOCOLS) {
      this.protocols.set(builtin.protocol, {
        protocol: builtin.protocol,
        codec: builtin.codec,
        multiplexing: true,
      });
    }
    const overridden = new Set<string>();
    for (const source of config.applicationProtocols) {
      const spec = source.resource.spec;
      if (overridden.has(spec.protocol)) continue;
      overridden.add(spec.protocol);
      this.protocols.set(spec.protocol, {
        protocol: spec.protocol,
        codec: spec.codec,
        multiplexing: spec.multiplexing ?? true,
        ...((spec.declarativeCodec ?? spec.codecConfig) === undefined
          ? {}
          : { codecConfig: spec.declarativeCodec ?? spec.codecConfig }),
        source,
      });
    }
    for (const entry of config.serviceEntries) {
      for (const host of new Set(entry.resource.spec.hosts)) {
        const list = this.entriesByHost.get(host) ?? [];
        list.push(entry);
        this.entriesByHost.set(host, list);
      }
    }
    config.destinationRules.forEach((rule, order) => {
      this.ruleOrder.set(rule, order);
      const written = rule.resource.spec.host;
      if (written.startsWith('*')) {
        this.wildcardRules.push(rule);
        return;
      }
      addTo(this.exactRules, written, rule);
      if (!written.includes('.'))
        addTo(this.exactRules, `${written}.${rule.namespace}.${CLUSTER_DOMAIN}`, rule);
    });
  }

  /** The codec bound to a protocol name (case-sensitive, as in Aeraki). */
  protocol(name: string): ProtocolBinding | undefined {
    return this.protocols.get(name);
  }

  /** Protocol names known, built-in ones included. */
  protocolNames(): string[] {
    return [...this.protocols.keys()].sort();
  }

  /** ServiceEntries that list `host`, in config order. */
  serviceEntriesFor(host: string): readonly ConfigObject<ServiceEntry>[] {
    return this.entriesByHost.get(host) ?? [];
  }

  /** The ServiceEntry host that `written` (in an object of `namespace`) names, if any. */
  resolveHost(written: string, namespace: string): string | undefined {
    if (this.entriesByHost.has(written)) return written;
    if (written.includes('.') || written.startsWith('*')) return undefined;
    const qualified = `${written}.${namespace}.${CLUSTER_DOMAIN}`;
    return this.entriesByHost.has(qualified) ? qualified : undefined;
  }

  /** The first ServiceEntry with `host` that defines port `number`. */
  servicePort(host: string, number: number): ServicePortRef | undefined {
    for (const serviceEntry of this.serviceEntriesFor(host)) {
      const port = serviceEntry.resource.spec.ports.find(p => p.number === number);
      if (port !== undefined) return { serviceEntry, port };
    }
    return undefined;
  }

  /**
   * DestinationRules that apply to `host`, best first: exact or short-name matches, then wildcard
   * hosts from the most specific; config order breaks ties.
   */
  destinationRulesFor(host: string): readonly ConfigObject<DestinationRule>[] {
    const cached = this.rulesByHost.get(host);
    if (cached !== undefined) return cached;
    const exact = this.exactRules.get(host);
    if (this.wildcardRules.length === 0 && (exact === undefined || exact.length === 1)) {
      // Nothing to rank (the common case): no list to build per host.
      const rules = exact ?? NO_RULES;
      this.rulesByHost.set(host, rules);
      return rules;
    }
    const specificity = (dr: ConfigObject<DestinationRule>): number =>
      dr.resource.spec.host.startsWith('*') ? dr.resource.spec.host.length : Number.MAX_SAFE_INTEGER;
    const candidates = [
      ...(exact ?? []),
      ...this.wildcardRules.filter(dr => hostMatches(dr.resource.spec.host, dr.namespace, host)),
    ];
    const rules = candidates
      .map(dr => ({ dr, order: this.ruleOrder.get(dr) ?? 0, rank: specificity(dr) }))
      .sort((a, b) => b.rank - a.rank || a.order - b.order)
      .map(x => x.dr);
    this.rulesByHost.set(host, rules);
    return rules;
  }

  /** The DestinationRule used for `host`. */
  destinationRuleFor(host: string): ConfigObject<DestinationRule> | undefined {
    return this.destinationRulesFor(host)[0];
  }

  /** The MetaRouter used for `host`: the first of metaRoutersFor. */
  metaRouterFor(host: string): ConfigObject<MetaRouter> | undefined {
    return this.metaRoutersFor(host)[0];
  }

  /** MetaRouters whose `hosts[0]` names `host`, in config order; the first one is used. */
  metaRoutersFor(host: string): readonly ConfigObject<MetaRouter>[] {
    if (this.routersByHost === undefined) {
      this.routersByHost = new Map();
      for (const router of this.config.metaRouters) {
        const written = router.resource.spec.hosts[0];
        const resolved = written === undefined ? undefined : this.resolveHost(written, router.namespace);
        if (resolved !== undefined) addTo(this.routersByHost, resolved, router);
      }
    }
    return this.routersByHost.get(host) ?? [];
  }
}

function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
