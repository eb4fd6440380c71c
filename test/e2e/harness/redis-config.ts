/**
 * Builders for the Redis documents the tests feed to `aeraki up`: ServiceEntries with a `tcp-redis`
 * port, RedisService, RedisDestination and Secret, in namespace `redis` so that short host names
 * (`store-b`) resolve to `<name>.redis.svc.cluster.local`, as in Aeraki's own Redis tests.
 */
import type { ConfigDocument } from './mesh-config.js';

export const REDIS_NAMESPACE = 'redis';

/** The full host of a short service name. */
export function redisHost(name: string): string {
  return `${name}.${REDIS_NAMESPACE}.svc.cluster.local`;
}

/** A ServiceEntry with one `tcp-redis` port; the proxy listens on each address at `port`. */
export function redisEntry(spec: {
  readonly name: string;
  readonly addresses?: readonly string[];
  readonly port: number;
  readonly endpoints: readonly { readonly host: string; readonly port: number }[];
}): ConfigDocument {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'ServiceEntry',
    metadata: { name: spec.name, namespace: REDIS_NAMESPACE },
    spec: {
      hosts: [redisHost(spec.name)],
      ...(spec.addresses === undefined ? {} : { addresses: [...spec.addresses] }),
      ports: [{ number: spec.port, name: 'tcp-redis', protocol: 'TCP' }],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      endpoints: spec.endpoints.map(e => ({ address: e.host, ports: { 'tcp-redis': e.port } })),
    },
  };
}

export function redisService(spec: {
  readonly name: string;
  readonly host: string;
  readonly settings?: ConfigDocument;
  readonly redis?: readonly ConfigDocument[];
  readonly faults?: readonly ConfigDocument[];
}): ConfigDocument {
  return {
    apiVersion: 'redis.aeraki.io/v1alpha1',
    kind: 'RedisService',
    metadata: { name: spec.name, namespace: REDIS_NAMESPACE },
    spec: {
      host: [redisHost(spec.host)],
      ...(spec.settings === undefined ? {} : { settings: spec.settings }),
      ...(spec.redis === undefined ? {} : { redis: [...spec.redis] }),
      ...(spec.faults === undefined ? {} : { faults: [...spec.faults] }),
    },
  };
}

export function redisDestination(spec: {
  readonly name: string;
  readonly host: string;
  readonly mode?: 'PROXY' | 'CLUSTER';
  readonly auth?: ConfigDocument;
  readonly discoveryEndpoints?: readonly string[];
}): ConfigDocument {
  return {
    apiVersion: 'redis.aeraki.io/v1alpha1',
    kind: 'RedisDestination',
    metadata: { name: spec.name, namespace: REDIS_NAMESPACE },
    spec: {
      host: redisHost(spec.host),
      trafficPolicy: {
        connectionPool: {
          redis: {
            ...(spec.mode === undefined ? {} : { mode: spec.mode }),
            ...(spec.auth === undefined ? {} : { auth: spec.auth }),
            ...(spec.discoveryEndpoints === undefined
              ? {}
              : { discoveryEndpoints: [...spec.discoveryEndpoints] }),
          },
        },
      },
    },
  };
}

/** A Kubernetes Secret (`stringData` plain, `data` base64). */
export function secret(spec: {
  readonly name: string;
  readonly stringData?: Readonly<Record<string, string>>;
  readonly data?: Readonly<Record<string, string>>;
}): ConfigDocument {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: spec.name, namespace: REDIS_NAMESPACE },
    ...(spec.stringData === undefined ? {} : { stringData: { ...spec.stringData } }),
    ...(spec.data === undefined ? {} : { data: { ...spec.data } }),
  };
}
