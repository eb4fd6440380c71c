/**
 * What the last translation built, reused while its inputs are the same objects: a reload of a
 * 10,000-service mesh after an edit of one file then builds the route tables, listeners and clusters
 * of that file's services, not 80,000 resources, and the unchanged ones keep their identity (so the
 * ResourceEncoder recognises them at once, and no copy of the whole snapshot becomes garbage).
 *
 * This relies on config objects being the same objects while their document is unchanged (the file
 * source and buildConfig keep them), and on translation reading config only through the lookups
 * recorded here. A port's translation is reused only if its ServiceEntry and port are the same
 * objects and every lookup it made returns the same again; a cluster's, only if its service port and
 * DestinationRule are. Anything else is built afresh, so a memo can only save work, never change the
 * result: `translate(config, memo)` equals `translate(config)`.
 */
import type { DestinationRule, MetaRouter, ServiceEntry, ServicePort } from '../../api/index.js';
import type {
  ClusterResource,
  EndpointAssignmentResource,
  ListenerResource,
  RouteConfigResource,
} from '../../xds/resources.js';
import type { ProtocolBinding } from '../model/config-index.js';
import type { ConfigObject } from '../model/config-set.js';

/** The lookups translating one service port makes (a ConfigIndex, or a recorder in front of one). */
export interface PortLookups {
  protocol(name: string): ProtocolBinding | undefined;
  destinationRuleFor(host: string): ConfigObject<DestinationRule> | undefined;
  /** The MetaRouter used for `host` (the first in config order). */
  metaRouterFor(host: string): ConfigObject<MetaRouter> | undefined;
  resolveHost(written: string, namespace: string): string | undefined;
}

/** What route tables and rate limits ask of the cluster builder. */
export interface ClusterWants {
  want(port: number, subset: string, host: string): string;
}

/** One lookup and what it returned. */
type Lookup =
  | { readonly kind: 'protocol'; readonly name: string; readonly result: ProtocolBinding | undefined }
  | {
      readonly kind: 'rule';
      readonly host: string;
      readonly result: ConfigObject<DestinationRule> | undefined;
    }
  | { readonly kind: 'router'; readonly host: string; readonly result: ConfigObject<MetaRouter> | undefined }
  | {
      readonly kind: 'host';
      readonly written: string;
      readonly namespace: string;
      readonly result: string | undefined;
    };

/** Built-in protocols get a new binding object per index: compared by content. */
function sameBinding(a: ProtocolBinding | undefined, b: ProtocolBinding | undefined): boolean {
  return (
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a.protocol === b.protocol &&
      a.codec === b.codec &&
      a.multiplexing === b.multiplexing &&
      a.codecConfig === b.codecConfig &&
      a.source === b.source)
  );
}

function replays(lookup: Lookup, lookups: PortLookups): boolean {
  switch (lookup.kind) {
    case 'protocol':
      return sameBinding(lookups.protocol(lookup.name), lookup.result);
    case 'rule':
      return lookups.destinationRuleFor(lookup.host) === lookup.result;
    case 'router':
      return lookups.metaRouterFor(lookup.host) === lookup.result;
    case 'host':
      return lookups.resolveHost(lookup.written, lookup.namespace) === lookup.result;
  }
}

/** Passes lookups and cluster wants through, and writes them down. */
class Recorder implements PortLookups, ClusterWants {
  readonly lookups: Lookup[] = [];
  readonly wants: [port: number, subset: string, host: string][] = [];

  constructor(
    private readonly inner: PortLookups,
    private readonly clusters: ClusterWants,
  ) {}

  protocol(name: string): ProtocolBinding | undefined {
    const result = this.inner.protocol(name);
    this.lookups.push({ kind: 'protocol', name, result });
    return result;
  }

  destinationRuleFor(host: string): ConfigObject<DestinationRule> | undefined {
    const result = this.inner.destinationRuleFor(host);
    this.lookups.push({ kind: 'rule', host, result });
    return result;
  }

  metaRouterFor(host: string): ConfigObject<MetaRouter> | undefined {
    const result = this.inner.metaRouterFor(host);
    this.lookups.push({ kind: 'router', host, result });
    return result;
  }

  resolveHost(written: string, namespace: string): string | undefined {
    const result = this.inner.resolveHost(written, namespace);
    this.lookups.push({ kind: 'host', written, namespace, result });
    return result;
  }

  want(port: number, subset: string, host: string): string {
    this.wants.push([port, subset, host]);
    return this.clusters.want(port, subset, host);
  }
}

/** What one MetaProtocol port of a ServiceEntry translates to; undefined if its protocol has no codec. */
export type PortTranslation =
  { readonly routeTable: RouteConfigResource; readonly listeners: readonly ListenerResource[] } | undefined;

interface PortEntry {
  readonly serviceEntry: ConfigObject<ServiceEntry>;
  readonly port: ServicePort;
  readonly lookups: readonly Lookup[];
  readonly wants: readonly (readonly [number, string, string])[];
  readonly result: PortTranslation;
}

interface ClusterEntry {
  readonly serviceEntry: ConfigObject<ServiceEntry>;
  readonly port: ServicePort;
  readonly rule: ConfigObject<DestinationRule> | undefined;
  readonly cluster: ClusterResource;
  readonly endpoints: EndpointAssignmentResource;
}

/** Variants of one route table or cluster kept at most (scopes that see its inputs differently). */
const MAX_VARIANTS = 8;

/** Adds `entry` to the variants of `key`, unless it is there; the oldest goes beyond MAX_VARIANTS. */
function keep<E>(map: Map<string, E[]>, key: string, entry: E): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else if (!list.includes(entry)) {
    list.push(entry);
    if (list.length > MAX_VARIANTS) list.shift();
  }
}

/**
 * Results kept from one translation to the next. Only what the latest translations used is kept, so
 * the memo holds one config's worth at most (times the variants scopes see: a route table whose
 * MetaRouter some namespaces see and others do not has two).
 *
 * A publish translates the whole mesh and every scope served between `begin()` and `end()`; a scope
 * first served between publishes is translated alone, and what it builds joins the current
 * translation's results.
 */
export class TranslationMemo {
  private ports = new Map<string, PortEntry[]>();
  private nextPorts: Map<string, PortEntry[]> | undefined;
  private clusters = new Map<string, ClusterEntry[]>();
  private nextClusters: Map<string, ClusterEntry[]> | undefined;
  /** Ports and clusters the latest translation built afresh (0: it reused everything). */
  built = 0;

  /** Starts a translation. */
  begin(): void {
    this.nextPorts = new Map();
    this.nextClusters = new Map();
    this.built = 0;
  }

  /** Ends a translation: what it did not use is forgotten. */
  end(): void {
    this.ports = this.nextPorts ?? this.ports;
    this.clusters = this.nextClusters ?? this.clusters;
    this.nextPorts = undefined;
    this.nextClusters = undefined;
  }

  /**
   * The translation of one service port (`key`: its route table's name), reused if still valid, else
   * made by `build` with lookups and cluster wants recorded. Wants of a reused one are made again.
   */
  port(
    key: string,
    serviceEntry: ConfigObject<ServiceEntry>,
    port: ServicePort,
    lookups: PortLookups,
    clusters: ClusterWants,
    build: (lookups: PortLookups, clusters: ClusterWants) => PortTranslation,
  ): PortTranslation {
    const candidates = [...(this.nextPorts?.get(key) ?? []), ...(this.ports.get(key) ?? [])];
    const previous = candidates.find(
      p => p.serviceEntry === serviceEntry && p.port === port && p.lookups.every(l => replays(l, lookups)),
    );
    if (previous !== undefined) {
      for (const [number, subset, host] of previous.wants) clusters.want(number, subset, host);
      keep(this.nextPorts ?? this.ports, key, previous);
      return previous.result;
    }
    const recorder = new Recorder(lookups, clusters);
    const result = build(recorder, recorder);
    keep(this.nextPorts ?? this.ports, key, {
      serviceEntry,
      port,
      lookups: recorder.lookups,
      wants: recorder.wants,
      result,
    });
    this.built++;
    return result;
  }

  /** A cluster and its endpoints, reused if its service port and DestinationRule are the same objects. */
  cluster(
    name: string,
    serviceEntry: ConfigObject<ServiceEntry>,
    port: ServicePort,
    rule: ConfigObject<DestinationRule> | undefined,
    build: () => { cluster: ClusterResource; endpoints: EndpointAssignmentResource },
  ): { cluster: ClusterResource; endpoints: EndpointAssignmentResource } {
    const candidates = [...(this.nextClusters?.get(name) ?? []), ...(this.clusters.get(name) ?? [])];
    const previous = candidates.find(
      c => c.serviceEntry === serviceEntry && c.port === port && c.rule === rule,
    );
    if (previous !== undefined) {
      keep(this.nextClusters ?? this.clusters, name, previous);
      return previous;
    }
    const made = build();
    keep(this.nextClusters ?? this.clusters, name, { serviceEntry, port, rule, ...made });
    this.built++;
    return made;
  }
}
