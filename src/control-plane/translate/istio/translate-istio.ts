/**
 * From validated config to the Istio objects the control plane writes for Envoy sidecars and
 * gateways that run Aeraki's MetaProtocol proxy image (Istio mode), as the original Aeraki writes
 * them where it is right:
 *
 * - per ServiceEntry port, by port name (port-family.ts): an outbound EnvoyFilter
 *   `aeraki-outbound-<hosts[0]>-<vip>-<port>` per address of the entry (listener `<vip>_<port>`), and
 *   an inbound one `aeraki-inbound-<hosts[0]>-<port>` (listener `virtualInbound`, destination port)
 *   when a workload selector or the `workloadSelector` annotation says where the service runs;
 * - per Gateway server on a MetaProtocol port: see gateway.ts;
 * - everything labelled `manager: Aeraki`, placed as placement.ts says.
 *
 * Where the original went wrong, this does not: every port of a service gets its family's filter (the
 * original chose one family per service by its first port and used only `ports[0]` for Dubbo, Thrift,
 * Kafka and ZooKeeper); a service that cannot be translated is reported and skipped without touching
 * the others; header matchers come in name order; TypedStruct values use the declared field names.
 *
 * Pure and deterministic: objects sorted by namespace and name.
 */
import {
  isWildcardHost,
  singleAddress,
  type ConfigIssue,
  type FieldPath,
  type KnownResource,
  type ServiceEntry,
  type VirtualService,
} from '../../../api/index.js';
import type { ClusterResource } from '../../../xds/resources.js';
import { protoRootWithIstioFilters } from '../../../xds/proto-root.js';
import { ConfigIndex, hostMatches } from '../../model/config-index.js';
import type { ConfigObject, ConfigSet } from '../../model/config-set.js';
import { issueAt } from '../../model/issue-at.js';
import { buildRateLimits } from '../rate-limits.js';
import { translate } from '../translate.js';
import {
  envoyFilter,
  inboundName,
  networkFilterPatch,
  outboundName,
  typedStructFilter,
  type ConfigPatch,
  type EnvoyFilterObject,
  type GatewayVirtualServiceObject,
} from './envoy-filter.js';
import { gatewayObjects } from './gateway.js';
import { DEFAULT_ISTIO_OPTIONS, type IstioOptions } from './istio-options.js';
import { inboundMetaProtocolProxy, outboundMetaProtocolProxy } from './meta-protocol.js';
import { dubboProxy, kafkaBroker, thriftProxy, zookeeperProxy } from './native.js';
import { dubboPoliciesFor, dubboRbacFilters } from './dubbo-rbac.js';
import { placementOf } from './placement.js';
import { istioPortFamily } from './port-family.js';
import { redisClusterPatches, redisListenerPatch } from './redis.js';
import { workloadSelectorOf } from './workload-selector.js';

/** The Dubbo interface of a ServiceEntry, as registry bridges annotate it. */
export const INTERFACE_ANNOTATION = 'interface';

/** What Istio mode writes for a config. */
export interface IstioTranslation {
  readonly envoyFilters: readonly EnvoyFilterObject[];
  readonly virtualServices: readonly GatewayVirtualServiceObject[];
  /** Why something was not written (never blocks the rest). */
  readonly issues: readonly ConfigIssue[];
}

/** One EnvoyFilter before placement: the copies differ only in namespace. */
interface PendingFilter {
  readonly name: string;
  readonly patches: readonly ConfigPatch[];
  readonly workloadSelector?: Readonly<Record<string, string>>;
  readonly entry: ConfigObject<ServiceEntry>;
}

const byNamespaceAndName = (
  a: { metadata: { namespace: string; name: string } },
  b: { metadata: { namespace: string; name: string } },
): number => {
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export function translateIstio(
  config: ConfigSet,
  options: Partial<IstioOptions> = {},
  index = new ConfigIndex(config),
): IstioTranslation {
  const opts: IstioOptions = { ...DEFAULT_ISTIO_OPTIONS, ...options };
  protoRootWithIstioFilters();
  const issues: ConfigIssue[] = [];
  const note = (
    object: ConfigObject<KnownResource>,
    path: FieldPath,
    rule: string,
    message: string,
  ): void => {
    issues.push(issueAt(object, 'warning', path, rule, message));
  };
  const snapshot = translate(config, undefined, index);
  const clusters = new Map<string, ClusterResource>(snapshot.clusters.map(c => [c.name, c]));
  const redisListeners = new Map((snapshot.redisListeners ?? []).map(l => [l.name, l]));
  const written = new Map<string, EnvoyFilterObject>();

  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    const host = spec.hosts[0];
    if (host === undefined || isWildcardHost(host)) continue;
    const router = index.metaRouterFor(host);
    const namespaces = placementOf(entry, router, opts);
    const selector = workloadSelectorOf(entry.resource);
    const addresses = (spec.addresses ?? []).flatMap(a => {
      const single = singleAddress(a);
      return single === undefined ? [] : [single];
    });
    const virtualService = firstVirtualService(config.virtualServices, host);
    const pending: PendingFilter[] = [];
    let needsAddress = false;

    spec.ports.forEach((port, portIndex) => {
      const family = istioPortFamily(port.name);
      const portPath = ['spec', 'ports', portIndex, 'name'];
      if (family.kind === 'none' || family.kind === 'metaprotocol-unnamed') return;
      const outbound = outboundName(port.number, host);
      const outboundFilters = (make: (vip: string) => ConfigPatch | undefined): void => {
        needsAddress = true;
        for (const vip of addresses) {
          const patch = make(vip);
          if (patch !== undefined)
            pending.push({ name: `aeraki-outbound-${host}-${vip}-${port.number}`, patches: [patch], entry });
        }
      };
      const inboundFilter = (value: ReturnType<typeof typedStructFilter>, insert = false): void => {
        if (selector === undefined) return;
        pending.push({
          name: `aeraki-inbound-${host}-${port.number}`,
          patches: [
            networkFilterPatch('virtualInbound', insert ? 'INSERT_BEFORE' : 'REPLACE', value, port.number),
          ],
          workloadSelector: selector,
          entry,
        });
      };
      const clusterOf = (h: string, subset: string, p: number | undefined): string =>
        outboundName(
          p ?? port.number,
          index.resolveHost(h, virtualService?.namespace ?? entry.namespace) ?? h,
          subset,
        );

      switch (family.kind) {
        case 'metaprotocol': {
          const binding = index.protocol(family.protocol);
          if (binding === undefined) {
            note(
              entry,
              portPath,
              'unknown-protocol',
              `no ApplicationProtocol registers '${family.protocol}': no EnvoyFilter for port ${port.number}`,
            );
            return;
          }
          const value = outboundMetaProtocolProxy({
            statPrefix: outbound,
            protocol: family.protocol,
            codec: binding.codec,
            routeConfigName: `${host}_${port.number}`,
            host,
            xdsCluster: opts.xdsCluster,
          });
          outboundFilters(vip => networkFilterPatch(`${vip}_${port.number}`, 'REPLACE', value));
          inboundFilter(
            inboundMetaProtocolProxy({
              port: port.number,
              protocol: family.protocol,
              codec: binding.codec,
              host,
              rateLimits: buildRateLimits(router, index, { want: (p, s, h) => outboundName(p, h, s) }),
            }),
          );
          return;
        }
        case 'dubbo': {
          const interfaceName = entry.resource.metadata.annotations?.[INTERFACE_ANNOTATION];
          if (interfaceName === undefined || interfaceName === '') {
            note(
              entry,
              ['metadata', 'annotations'],
              'dubbo-interface-annotation',
              `a tcp-dubbo port needs the ServiceEntry annotation '${INTERFACE_ANNOTATION}' (the Dubbo interface) for its outbound filter`,
            );
          } else {
            const value = dubboProxy({
              statPrefix: outbound,
              interfaceName,
              defaultCluster: outbound,
              ...(virtualService === undefined ? {} : { virtualService }),
              clusterOf,
            });
            outboundFilters(vip => networkFilterPatch(`${vip}_${port.number}`, 'REPLACE', value));
          }
          const inbound = inboundName(port.number);
          inboundFilter(
            dubboProxy({
              statPrefix: inbound,
              interfaceName: '*',
              defaultCluster: inbound,
              clusterOf,
              filters: dubboRbacFilters(
                dubboPoliciesFor(config.dubboAuthorizationPolicies, entry.namespace, opts.rootNamespace),
              ),
            }),
          );
          return;
        }
        case 'thrift': {
          const out = thriftProxy({
            statPrefix: outbound,
            defaultCluster: outbound,
            ...(virtualService === undefined ? {} : { virtualService }),
            clusterOf,
          });
          for (const n of out.notes)
            if (virtualService !== undefined)
              note(virtualService, ['spec', 'http', n.route, 'match'], n.rule, n.message);
          outboundFilters(vip => networkFilterPatch(`${vip}_${port.number}`, 'REPLACE', out.value));
          const inbound = inboundName(port.number);
          inboundFilter(thriftProxy({ statPrefix: inbound, defaultCluster: inbound, clusterOf }).value);
          return;
        }
        case 'kafka':
        case 'zookeeper': {
          const make = family.kind === 'kafka' ? kafkaBroker : zookeeperProxy;
          const value = make(outbound);
          outboundFilters(vip => networkFilterPatch(`${vip}_${port.number}`, 'INSERT_BEFORE', value));
          inboundFilter(make(inboundName(port.number)), true);
          return;
        }
        case 'redis': {
          outboundFilters(vip => {
            const listener = redisListeners.get(`${vip}_${port.number}`);
            return listener === undefined ? undefined : redisListenerPatch(listener);
          });
          // The cluster patches ride on the port's first outbound filter.
          const vip = addresses[0];
          const listener = vip === undefined ? undefined : redisListeners.get(`${vip}_${port.number}`);
          const at = pending.findIndex(p => p.name === `aeraki-outbound-${host}-${vip}-${port.number}`);
          const target = pending[at];
          if (listener !== undefined && target !== undefined)
            pending[at] = {
              ...target,
              patches: [...target.patches, ...redisClusterPatches(listener, clusters)],
            };
          const inbound = inboundName(port.number);
          inboundFilter(
            typedStructFilter(
              'envoy.filters.network.redis_proxy',
              'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy',
              {
                stat_prefix: inbound,
                settings: { op_timeout: { seconds: 3600 } },
                prefix_routes: { catch_all_route: { cluster: inbound } },
              },
            ),
          );
          return;
        }
      }
    });

    if (needsAddress && addresses.length === 0) {
      note(
        entry,
        ['spec', 'addresses'],
        'no-address',
        `${host} has no address: sidecars' outbound listeners are matched by address, so no outbound EnvoyFilter is written (in Kubernetes the leader allocates one)`,
      );
    }
    for (const filter of pending) {
      for (const namespace of namespaces) {
        const object = envoyFilter(filter.name, namespace, filter.patches, filter.workloadSelector);
        const key = `${namespace}/${filter.name}`;
        if (written.has(key)) {
          note(
            entry,
            ['spec', 'hosts', 0],
            'envoy-filter-taken',
            `EnvoyFilter ${key} is already written for another ServiceEntry with host ${host}; this one is not`,
          );
          continue;
        }
        written.set(key, object);
      }
    }
  }

  const gateways = gatewayObjects(index, opts);
  for (const n of gateways.notes) note(n.object, n.path, n.rule, n.message);
  for (const filter of gateways.envoyFilters) {
    const key = `${filter.metadata.namespace}/${filter.metadata.name}`;
    if (!written.has(key)) written.set(key, filter);
  }
  return {
    envoyFilters: [...written.values()].sort(byNamespaceAndName),
    virtualServices: [...gateways.virtualServices].sort(byNamespaceAndName),
    issues,
  };
}

/** The VirtualService for `host` (first in config order; short names qualified in its namespace). */
function firstVirtualService(
  services: readonly ConfigObject<VirtualService>[],
  host: string,
): ConfigObject<VirtualService> | undefined {
  return services.find(vs => (vs.resource.spec.hosts ?? []).some(h => hostMatches(h, vs.namespace, host)));
}
