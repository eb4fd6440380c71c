/**
 * MetaProtocol on Istio gateways: for each Gateway server whose port is named
 * `tcp-metaprotocol-<protocol>[-…]`, the MetaRouter that names the Gateway in `gateways` gives the
 * service behind the port, and two objects are written in the Gateway's namespace:
 *
 * - EnvoyFilter `aeraki-gateway-outbound-<gateway>.<namespace>-<port>`, selecting the gateway's pods,
 *   replacing the TCP proxy of listener `0.0.0.0_<port>` with the outbound MetaProtocol proxy;
 * - VirtualService `aeraki-vs-<namespace>.<gateway>-<port>`, a TCP route of the port to the service,
 *   which is what makes Istio open that listener on the gateway.
 *
 * Unlike the original, the gateway port need not equal the service port: the route table used is
 * the service port's (`<host>_<service port>`, the port the MetaRouter's destinations name, else the
 * gateway port when the service has it, else the service's only MetaProtocol port). Several
 * MetaRouters for one gateway port are reported; the first in config order is used.
 */
import type { Gateway, MetaRouter } from '../../../api/index.js';
import type { ConfigIndex } from '../../model/config-index.js';
import type { ConfigObject } from '../../model/config-set.js';
import {
  envoyFilter,
  MANAGER_LABEL,
  networkFilterPatch,
  outboundName,
  type EnvoyFilterObject,
  type GatewayVirtualServiceObject,
} from './envoy-filter.js';
import type { IstioOptions } from './istio-options.js';
import { outboundMetaProtocolProxy } from './meta-protocol.js';
import { istioPortFamily } from './port-family.js';

export interface GatewayNote {
  readonly object: ConfigObject<Gateway> | ConfigObject<MetaRouter>;
  readonly path: readonly (string | number)[];
  readonly rule: string;
  readonly message: string;
}

export interface GatewayOutput {
  readonly envoyFilters: EnvoyFilterObject[];
  readonly virtualServices: GatewayVirtualServiceObject[];
  readonly notes: GatewayNote[];
}

function namesGateway(router: ConfigObject<MetaRouter>, gatewayKey: string): boolean {
  return (router.resource.spec.gateways ?? []).some(
    written => (written.includes('/') ? written : `${router.namespace}/${written}`) === gatewayKey,
  );
}

/** The MetaProtocol port of the router's service that the gateway port leads to. */
function servicePortFor(
  router: ConfigObject<MetaRouter>,
  host: string,
  gatewayPort: number,
  index: ConfigIndex,
): number | undefined {
  const ports = new Set<number>();
  for (const entry of index.serviceEntriesFor(host)) {
    for (const port of entry.resource.spec.ports) {
      if (istioPortFamily(port.name).kind === 'metaprotocol') ports.add(port.number);
    }
  }
  for (const route of router.resource.spec.routes ?? []) {
    for (const d of route.route ?? []) {
      const named = d.destination.port?.number;
      if (named !== undefined && named > 0 && ports.has(named)) return named;
    }
  }
  if (ports.has(gatewayPort)) return gatewayPort;
  return ports.size === 1 ? [...ports][0] : undefined;
}

export function gatewayObjects(index: ConfigIndex, options: IstioOptions): GatewayOutput {
  const out: GatewayOutput = { envoyFilters: [], virtualServices: [], notes: [] };
  for (const gateway of index.config.gateways) {
    const gatewayName = gateway.resource.metadata.name;
    const gatewayKey = `${gateway.namespace}/${gatewayName}`;
    const routers = index.config.metaRouters.filter(r => namesGateway(r, gatewayKey));
    gateway.resource.spec.servers.forEach((server, i) => {
      const family = istioPortFamily(server.port.name);
      if (family.kind !== 'metaprotocol') return;
      const portNumber = server.port.number;
      const binding = index.protocol(family.protocol);
      if (binding === undefined) {
        out.notes.push({
          object: gateway,
          path: ['spec', 'servers', i, 'port', 'name'],
          rule: 'unknown-protocol',
          message: `no ApplicationProtocol registers '${family.protocol}': no MetaProtocol filter on the gateway's port ${portNumber}`,
        });
        return;
      }
      const candidates = routers.flatMap(router => {
        const written = router.resource.spec.hosts[0];
        const host = written === undefined ? undefined : index.resolveHost(written, router.namespace);
        if (host === undefined) return [];
        const servicePort = servicePortFor(router, host, portNumber, index);
        return servicePort === undefined ? [] : [{ router, host, servicePort }];
      });
      const chosen = candidates[0];
      if (chosen === undefined) return;
      for (const other of candidates.slice(1)) {
        out.notes.push({
          object: other.router,
          path: ['spec', 'gateways'],
          rule: 'gateway-port-taken',
          message: `gateway ${gatewayKey} port ${portNumber} already routes to ${chosen.host} (MetaRouter ${chosen.router.key}); this MetaRouter is not used there`,
        });
      }
      const name = `aeraki-gateway-outbound-${gatewayName}.${gateway.namespace}-${portNumber}`;
      out.envoyFilters.push(
        envoyFilter(
          name,
          gateway.namespace,
          [
            networkFilterPatch(
              `0.0.0.0_${portNumber}`,
              'REPLACE',
              outboundMetaProtocolProxy({
                statPrefix: outboundName(portNumber, chosen.host),
                protocol: family.protocol,
                codec: binding.codec,
                routeConfigName: `${chosen.host}_${chosen.servicePort}`,
                host: chosen.host,
                xdsCluster: options.xdsCluster,
              }),
            ),
          ],
          gateway.resource.spec.selector ?? {},
        ),
      );
      out.virtualServices.push({
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'VirtualService',
        metadata: {
          name: `aeraki-vs-${gateway.namespace}.${gatewayName}-${portNumber}`,
          namespace: gateway.namespace,
          labels: { ...MANAGER_LABEL },
        },
        spec: {
          hosts: [chosen.host],
          gateways: [gatewayKey],
          tcp: [
            {
              match: [{ port: portNumber }],
              route: [{ destination: { host: chosen.host, port: { number: chosen.servicePort } } }],
            },
          ],
        },
      });
    });
  }
  return out;
}
