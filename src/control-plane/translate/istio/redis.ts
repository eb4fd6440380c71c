/**
 * Redis services on Envoy sidecars: Envoy's own `redis_proxy` in place of the TCP proxy of each
 * `tcp-redis…` port's outbound listener, with what RedisService and RedisDestination say (the same
 * translation as our own Redis proxy: src/control-plane/translate/redis.ts), and the upstream
 * cluster patched for the RedisDestination:
 *
 * ```
 * NETWORK_FILTER <vip>_<port>        REPLACE  redis_proxy { stat_prefix, settings, prefix_routes, faults,
 *                                                            downstream_auth_passwords, … }
 * CLUSTER outbound|<port>||<host>    MERGE    { lb_policy: MAGLEV, connect_timeout,
 *                                               typed_extension_protocol_options: RedisProtocolOptions }
 *                                     or, in CLUSTER mode, REMOVE then ADD a Redis Cluster
 *                                     (cluster_type envoy.clusters.redis, lb_policy CLUSTER_PROVIDED, seeds)
 * ```
 *
 * Unlike the original, which replaces every cluster whole, a proxy-mode cluster is merged into the one
 * istiod builds, so it keeps istiod's endpoints, TLS settings and metadata; and every `tcp-redis` port
 * gets its own patch (the original built all of them from the first port).
 */
import type { JsonValue } from '../../../xds/proto-json.js';
import { toProtoJson } from '../../../xds/proto-json.js';
import type { ProtoObject } from '../../../xds/proto-message.js';
import { addRedisClusterFields } from '../../../xds/redis-cluster.js';
import { redisProxyToProto } from '../../../xds/redis-proxy.js';
import { redisListenerClusterRefs, type RedisListenerResource } from '../../../xds/redis-resources.js';
import type { ClusterResource } from '../../../xds/resources.js';
import { durationFromMs } from '../../../xds/well-known.js';
import { REDIS_PROXY_FILTER } from '../../../xds/type-urls.js';
import { networkFilterPatch, typedStructFilter, type ConfigPatch } from './envoy-filter.js';

const REDIS_PROXY = 'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';

export function redisListenerPatch(listener: RedisListenerResource): ConfigPatch {
  return networkFilterPatch(
    listener.name,
    'REPLACE',
    typedStructFilter(REDIS_PROXY_FILTER, REDIS_PROXY, redisProxyToProto(listener)),
  );
}

function clusterPatches(cluster: ClusterResource): ConfigPatch[] {
  const message: ProtoObject = {
    name: cluster.name,
    connect_timeout: durationFromMs(cluster.connectTimeoutMs),
  };
  addRedisClusterFields(message, cluster);
  const match = { cluster: { name: cluster.name } };
  if (cluster.redis?.mode === 'cluster') {
    return [
      { applyTo: 'CLUSTER', match, patch: { operation: 'REMOVE' } },
      {
        applyTo: 'CLUSTER',
        match,
        patch: { operation: 'ADD', value: toProtoJson(CLUSTER, message) as Record<string, JsonValue> },
      },
    ];
  }
  delete message['name'];
  message['lb_policy'] = 'MAGLEV';
  return [
    {
      applyTo: 'CLUSTER',
      match,
      patch: { operation: 'MERGE', value: toProtoJson(CLUSTER, message) as Record<string, JsonValue> },
    },
  ];
}

/** The cluster patches a Redis listener needs: each Redis cluster it routes or mirrors to, once. */
export function redisClusterPatches(
  listener: RedisListenerResource,
  clusters: ReadonlyMap<string, ClusterResource>,
): ConfigPatch[] {
  const patches: ConfigPatch[] = [];
  for (const name of redisListenerClusterRefs(listener)) {
    const cluster = clusters.get(name);
    if (cluster?.redis !== undefined) patches.push(...clusterPatches(cluster));
  }
  return patches;
}
