/**
 * A Thrift service for the traffic-policy tests (circuit breakers, outlier detection): hello servers
 * behind one ServiceEntry, a DestinationRule carrying the policy under test, and a MetaRouter with
 * retries off, so that every refusal and every failure reaches the client.
 */
import { startHelloServer, type HelloServer } from './hello-server.js';
import {
  destination,
  destinationRule,
  metaRouter,
  thriftServiceEntry,
  type ConfigDocument,
} from './mesh-config.js';
import { freePort } from './net-utils.js';
import type { ThriftStack } from './thrift-stack.js';

export interface PolicyService {
  readonly host: string;
  readonly port: number;
  readonly servers: HelloServer[];
}

/** Starts `serverCount` servers tagged `<name>-<i>` and appends the service's documents to `docs`. */
export async function policyService(
  docs: ConfigDocument[],
  spec: {
    readonly name: string;
    readonly namespace: string;
    readonly address: string;
    readonly serverCount: number;
    readonly trafficPolicy: ConfigDocument;
    readonly stack: ThriftStack;
  },
): Promise<PolicyService> {
  const { name, address, trafficPolicy } = spec;
  const host = `${name}.${spec.namespace}.svc.cluster.local`;
  const port = await freePort(address);
  const servers = await Promise.all(
    Array.from({ length: spec.serverCount }, (_, i) =>
      startHelloServer({ tag: `${name}-${i}`, stack: spec.stack }),
    ),
  );
  docs.push(
    thriftServiceEntry({
      name,
      host,
      addresses: [address],
      port,
      endpoints: servers.map(s => ({ address: s.host, port: s.port, labels: {} })),
    }),
    destinationRule({ name, host, subsets: {}, trafficPolicy }),
    // Retries off (Istio's default would retry connect failures).
    metaRouter({
      name,
      host,
      routes: [{ name: 'no-retries', retries: { attempts: 0 }, route: [destination(host)] }],
    }),
  );
  return { host, port, servers };
}
