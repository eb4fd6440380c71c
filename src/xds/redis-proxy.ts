/**
 * A Redis listener ⇄ an Envoy `envoy.config.listener.v3.Listener` with Envoy's own Redis filter,
 * as Aeraki emits it for `tcp-redis…` ports (so the same resources can feed Envoy sidecars):
 *
 * ```
 * Listener { name: "<address>_<port>", address: { socket_address: { address, port_value } },
 *   traffic_direction: OUTBOUND,
 *   filter_chains: [ { filters: [ { name: "envoy.filters.network.redis_proxy",
 *     typed_config: RedisProxy {
 *       stat_prefix,
 *       settings: { op_timeout, enable_hashtagging, enable_redirection, max_buffer_size_before_flush,
 *                   buffer_flush_timeout, max_upstream_unknown_connections, enable_command_stats,
 *                   read_policy },
 *       prefix_routes: { routes: [ { prefix, remove_prefix, cluster,
 *                                    request_mirror_policy: [ { cluster, runtime_fraction, exclude_read_commands } ] } ],
 *                        case_insensitive, catch_all_route },
 *       downstream_auth_passwords: [ { inline_string } ], downstream_auth_username: { inline_string },
 *       faults: [ { fault_type, fault_enabled: { default_value }, delay, commands } ] } } ] } ] }
 * ```
 *
 * Percentages travel as FractionalPercent (HUNDRED for whole percents, MILLION otherwise). Decoding
 * follows Envoy's validation: `settings.op_timeout` is required, route clusters must not be empty,
 * prefixes must be unique, and without routes a catch-all route is required; the deprecated
 * `downstream_auth_password` is read too. Secrets are read from inline DataSources only.
 */
import {
  REDIS_READ_POLICIES,
  type RedisDownstreamAuth,
  type RedisFaultResource,
  type RedisListenerResource,
  type RedisMirrorResource,
  type RedisProxySettings,
  type RedisReadPolicy,
  type RedisRouteResource,
} from './redis-resources.js';
import { decodeMessage, encodeMessage, packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource, resourceLabel } from './invalid-resource.js';
import { ConfigTypeUrls, REDIS_PROXY_FILTER } from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';
import { durationFromMs, msFromDuration, wrapperValue } from './well-known.js';

const LISTENER = 'envoy.config.listener.v3.Listener';
const REDIS_PROXY = 'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy';

/** Envoy's defaults for the settings a RedisProxy may leave out. */
const DEFAULT_BUFFER_FLUSH_TIMEOUT_MS = 3;
const DEFAULT_MAX_UPSTREAM_UNKNOWN_CONNECTIONS = 100;

/** A percentage 0-100 as an Envoy FractionalPercent. */
export function fractionalPercent(percent: number): ProtoObject {
  return Number.isInteger(percent)
    ? { numerator: percent, denominator: 'HUNDRED' }
    : { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

const DENOMINATORS: Readonly<Record<string, number>> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

/** A FractionalPercent as a percentage 0-100 (capped at 100, as Envoy does). */
export function percentOf(fraction: unknown): number {
  const f = (fraction ?? {}) as ProtoObject;
  const numerator = Number(f['numerator'] ?? 0);
  const denominator = DENOMINATORS[String(f['denominator'] ?? 'HUNDRED')] ?? 100;
  return Math.min(100, (numerator * 100) / denominator);
}

function routeToProto(route: RedisRouteResource): ProtoObject {
  return {
    prefix: route.prefix,
    remove_prefix: route.removePrefix,
    cluster: route.cluster,
    request_mirror_policy: route.mirrors.map(m => ({
      cluster: m.cluster,
      runtime_fraction: { default_value: fractionalPercent(m.percent) },
      exclude_read_commands: m.excludeReadCommands,
    })),
  };
}

/** The RedisProxy filter config of a Redis listener, as an object. */
export function redisProxyToProto(listener: RedisListenerResource): ProtoObject {
  const s = listener.settings;
  const settings: ProtoObject = {
    op_timeout: durationFromMs(s.opTimeoutMs),
    enable_hashtagging: s.enableHashtagging,
    enable_redirection: s.enableRedirection,
    max_buffer_size_before_flush: s.maxBufferSizeBeforeFlush,
    max_upstream_unknown_connections: { value: s.maxUpstreamUnknownConnections },
    enable_command_stats: s.enableCommandStats,
    read_policy: s.readPolicy,
  };
  if (s.maxBufferSizeBeforeFlush > 0)
    settings['buffer_flush_timeout'] = durationFromMs(s.bufferFlushTimeoutMs);
  const proxy: ProtoObject = {
    stat_prefix: listener.statPrefix,
    settings,
    prefix_routes: {
      routes: listener.routes.map(routeToProto),
      case_insensitive: listener.caseInsensitive,
      ...(listener.catchAllRoute === undefined
        ? {}
        : { catch_all_route: routeToProto(listener.catchAllRoute) }),
    },
    faults: listener.faults.map(f => ({
      fault_type: f.type,
      fault_enabled: { default_value: fractionalPercent(f.percent) },
      ...(f.delayMs > 0 ? { delay: durationFromMs(f.delayMs) } : {}),
      commands: [...f.commands],
    })),
  };
  const auth = listener.downstreamAuth;
  if (auth !== undefined) {
    proxy['downstream_auth_passwords'] = auth.passwords.map(p => ({ inline_string: p }));
    if (auth.username !== undefined) proxy['downstream_auth_username'] = { inline_string: auth.username };
  }
  return proxy;
}

/** The Envoy Listener for a Redis listener. */
export function encodeRedisListener(listener: RedisListenerResource): Uint8Array {
  return encodeMessage(LISTENER, {
    name: listener.name,
    address: { socket_address: { address: listener.address, port_value: listener.port } },
    traffic_direction: 'OUTBOUND',
    filter_chains: [
      {
        filters: [
          { name: REDIS_PROXY_FILTER, typed_config: packAny(REDIS_PROXY, redisProxyToProto(listener)) },
        ],
      },
    ],
  });
}

/** The text of an inline DataSource; `undefined` when unset. */
function dataSourceText(value: unknown, label: string, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const source = value as ProtoObject;
  if (typeof source['inline_string'] === 'string') return source['inline_string'];
  if (source['inline_bytes'] !== undefined)
    return Buffer.from(source['inline_bytes'] as Uint8Array).toString('utf8');
  if (source['filename'] !== undefined || source['environment_variable'] !== undefined) {
    throw invalidResource(label, path, 'only inline_string and inline_bytes data sources are supported');
  }
  return undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function routeFromProto(route: ProtoObject, label: string, path: string): RedisRouteResource {
  const cluster = nonEmpty(route['cluster']);
  if (cluster === undefined) throw invalidResource(label, `${path}.cluster`, 'must not be empty');
  if (nonEmpty(route['key_formatter']) !== undefined) {
    throw invalidResource(label, `${path}.key_formatter`, 'is not supported');
  }
  if (route['read_command_policy'] !== undefined) {
    throw invalidResource(label, `${path}.read_command_policy`, 'is not supported');
  }
  const mirrors = ((route['request_mirror_policy'] ?? []) as ProtoObject[]).map(
    (m, i): RedisMirrorResource => {
      const at = `${path}.request_mirror_policy[${i}]`;
      const mirrorCluster = nonEmpty(m['cluster']);
      if (mirrorCluster === undefined) throw invalidResource(label, `${at}.cluster`, 'must not be empty');
      const fraction = m['runtime_fraction'] as ProtoObject | undefined;
      return {
        cluster: mirrorCluster,
        percent: fraction === undefined ? 100 : percentOf(fraction['default_value']),
        excludeReadCommands: m['exclude_read_commands'] === true,
      };
    },
  );
  return {
    prefix: typeof route['prefix'] === 'string' ? route['prefix'] : '',
    removePrefix: route['remove_prefix'] === true,
    cluster,
    mirrors,
  };
}

function settingsFromProto(settings: ProtoObject | undefined, label: string, at: string): RedisProxySettings {
  if (settings === undefined) throw invalidResource(label, `${at}.settings`, 'is required');
  const opTimeoutMs = msFromDuration(settings['op_timeout']);
  if (opTimeoutMs === undefined) throw invalidResource(label, `${at}.settings.op_timeout`, 'is required');
  const readPolicy = String(settings['read_policy'] ?? 'MASTER') as RedisReadPolicy;
  if (!REDIS_READ_POLICIES.includes(readPolicy)) {
    throw invalidResource(
      label,
      `${at}.settings.read_policy`,
      `must be one of ${REDIS_READ_POLICIES.join(', ')}`,
    );
  }
  if (settings['dns_cache_config'] !== undefined) {
    throw invalidResource(label, `${at}.settings.dns_cache_config`, 'is not supported');
  }
  return {
    opTimeoutMs,
    enableHashtagging: settings['enable_hashtagging'] === true,
    enableRedirection: settings['enable_redirection'] === true,
    maxBufferSizeBeforeFlush: Number(settings['max_buffer_size_before_flush'] ?? 0),
    bufferFlushTimeoutMs: msFromDuration(settings['buffer_flush_timeout']) ?? DEFAULT_BUFFER_FLUSH_TIMEOUT_MS,
    maxUpstreamUnknownConnections:
      wrapperValue<number>(settings['max_upstream_unknown_connections']) ??
      (settings['max_upstream_unknown_connections'] === undefined
        ? DEFAULT_MAX_UPSTREAM_UNKNOWN_CONNECTIONS
        : 0),
    enableCommandStats: settings['enable_command_stats'] === true,
    readPolicy,
  };
}

function faultFromProto(fault: ProtoObject, label: string, path: string): RedisFaultResource {
  const type = String(fault['fault_type'] ?? 'DELAY');
  if (type !== 'DELAY' && type !== 'ERROR')
    throw invalidResource(label, `${path}.fault_type`, 'must be DELAY or ERROR');
  const enabled = fault['fault_enabled'] as ProtoObject | undefined;
  if (enabled === undefined) throw invalidResource(label, `${path}.fault_enabled`, 'is required');
  return {
    type,
    percent: percentOf(enabled['default_value']),
    delayMs: msFromDuration(fault['delay']) ?? 0,
    commands: ((fault['commands'] ?? []) as string[]).map(c => c.toLowerCase()),
  };
}

function authFromProto(proxy: ProtoObject, label: string, at: string): RedisDownstreamAuth | undefined {
  const passwords: string[] = [];
  ((proxy['downstream_auth_passwords'] ?? []) as ProtoObject[]).forEach((p, i) => {
    const text = dataSourceText(p, label, `${at}.downstream_auth_passwords[${i}]`);
    if (text !== undefined && text !== '') passwords.push(text);
  });
  const legacy = dataSourceText(proxy['downstream_auth_password'], label, `${at}.downstream_auth_password`);
  if (legacy !== undefined && legacy !== '') passwords.push(legacy);
  const username = dataSourceText(proxy['downstream_auth_username'], label, `${at}.downstream_auth_username`);
  if (passwords.length === 0) {
    if (username !== undefined && username !== '') {
      throw invalidResource(label, `${at}.downstream_auth_username`, 'needs downstream_auth_passwords');
    }
    return undefined;
  }
  return username === undefined || username === '' ? { passwords } : { username, passwords };
}

/**
 * The Redis listener in Listener bytes, or `undefined` when the listener's filter is not Envoy's
 * redis_proxy; throws AERAKI_ERR_XDS_INVALID_RESOURCE naming the field when it is but breaks a rule.
 */
export function decodeRedisListener(bytes: Uint8Array): RedisListenerResource | undefined {
  const listener = decodeMessage(LISTENER, bytes);
  const chains = (listener['filter_chains'] ?? []) as ProtoObject[];
  const filters = (chains[0]?.['filters'] ?? []) as ProtoObject[];
  const typed = filters[0]?.['typed_config'] as AnyMessage | undefined;
  if (typed?.type_url !== ConfigTypeUrls.redisProxy) return undefined;
  const name = nonEmpty(listener['name']);
  const label = resourceLabel('Listener', name);
  if (name === undefined) throw invalidResource(label, 'name', 'must not be empty');
  if (chains.length !== 1)
    throw invalidResource(
      label,
      'filter_chains',
      `exactly one filter chain is expected, got ${chains.length}`,
    );
  if (filters.length !== 1) {
    throw invalidResource(
      label,
      'filter_chains[0].filters',
      `exactly one network filter is expected, got ${filters.length}`,
    );
  }
  const socket = ((listener['address'] ?? {}) as ProtoObject)['socket_address'] as ProtoObject | undefined;
  if (socket === undefined) throw invalidResource(label, 'address.socket_address', 'is required');
  const address = nonEmpty(socket['address']);
  if (address === undefined)
    throw invalidResource(label, 'address.socket_address.address', 'must not be empty');
  const port = Number(socket['port_value'] ?? 0);
  if (!(port >= 1 && port <= 65535)) {
    throw invalidResource(label, 'address.socket_address.port_value', `must be 1-65535, got ${port}`);
  }
  const at = 'filter_chains[0].filters[0].typed_config';
  const proxy = unpackAny(typed);
  const statPrefix = nonEmpty(proxy['stat_prefix']);
  if (statPrefix === undefined) throw invalidResource(label, `${at}.stat_prefix`, 'must not be empty');
  const settings = settingsFromProto(proxy['settings'] as ProtoObject | undefined, label, at);
  const prefixRoutes = (proxy['prefix_routes'] ?? {}) as ProtoObject;
  const routes = ((prefixRoutes['routes'] ?? []) as ProtoObject[]).map((r, i) =>
    routeFromProto(r, label, `${at}.prefix_routes.routes[${i}]`),
  );
  const seen = new Set<string>();
  const caseInsensitive = prefixRoutes['case_insensitive'] === true;
  routes.forEach((r, i) => {
    const key = caseInsensitive ? r.prefix.toLowerCase() : r.prefix;
    if (seen.has(key)) {
      throw invalidResource(
        label,
        `${at}.prefix_routes.routes[${i}].prefix`,
        `prefix ${JSON.stringify(r.prefix)} is listed twice`,
      );
    }
    seen.add(key);
  });
  const catchAll = prefixRoutes['catch_all_route'] as ProtoObject | undefined;
  const catchAllRoute =
    catchAll === undefined
      ? undefined
      : routeFromProto(catchAll, label, `${at}.prefix_routes.catch_all_route`);
  if (routes.length === 0 && catchAllRoute === undefined) {
    throw invalidResource(label, `${at}.prefix_routes`, 'needs routes or a catch_all_route');
  }
  const faults = ((proxy['faults'] ?? []) as ProtoObject[]).map((f, i) =>
    faultFromProto(f, label, `${at}.faults[${i}]`),
  );
  const downstreamAuth = authFromProto(proxy, label, at);
  return {
    name,
    address,
    port,
    statPrefix,
    settings,
    routes,
    ...(catchAllRoute === undefined ? {} : { catchAllRoute: { ...catchAllRoute, prefix: '' } }),
    caseInsensitive,
    faults,
    ...(downstreamAuth === undefined ? {} : { downstreamAuth }),
  };
}
