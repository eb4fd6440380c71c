/**
 * Rules between the Redis kinds and the rest of the config: a RedisService or RedisDestination that
 * applies to no Redis service, routes and mirrors to hosts or ports no ServiceEntry defines, and
 * credentials whose Secret or key is missing (an error: the proxy would otherwise serve the service
 * without the auth it was given).
 */
import {
  selectPortProtocol,
  type ConfigIssue,
  type FieldPath,
  type KnownResource,
  type RedisAuth,
  type RedisRouteDestination,
} from '../../api/index.js';
import type { ConfigObject, ConfigSet } from './config-set.js';
import { hostMatches, type ConfigIndex } from './config-index.js';
import { describeObject, issueAt } from './issue-at.js';
import { RedisConfig } from './redis-config.js';

export function redisIssues(config: ConfigSet, index: ConfigIndex): ConfigIssue[] {
  if (config.redisServices.length === 0 && config.redisDestinations.length === 0) return [];
  const redis = new RedisConfig(config, index);
  const issues: ConfigIssue[] = [];
  const redisEntries = config.serviceEntries.filter(se =>
    se.resource.spec.ports.some(p => selectPortProtocol(p.name).family === 'redis'),
  );
  const used = new Set<ConfigObject<KnownResource>>();
  for (const entry of redisEntries) {
    const [chosen, ...others] = redis.servicesFor(entry);
    if (chosen === undefined) continue;
    used.add(chosen);
    for (const other of others) {
      if (used.has(other)) continue;
      used.add(other);
      issues.push(
        issueAt(
          other,
          'warning',
          ['spec', 'host'],
          'redis-service-conflict',
          `${describeObject(chosen)} also applies to ${describeObject(entry)} and is used instead`,
        ),
      );
    }
  }
  for (const service of config.redisServices) {
    const spec = service.resource.spec;
    if (!used.has(service)) {
      issues.push(
        issueAt(
          service,
          'warning',
          ['spec', 'host'],
          'redis-service-unused',
          `no ServiceEntry of namespace ${service.namespace} with a tcp-redis port has host ${spec.host.join(' or ')}, so this RedisService applies to nothing`,
        ),
      );
    }
    (spec.redis ?? []).forEach((route, r) => {
      issues.push(...destinationIssues(service, index, route.route, ['spec', 'redis', r, 'route']));
      (route.mirror ?? []).forEach((m, i) =>
        issues.push(
          ...destinationIssues(service, index, m.route, ['spec', 'redis', r, 'mirror', i, 'route']),
        ),
      );
    });
    issues.push(...authIssues(redis, service, spec.settings?.auth, ['spec', 'settings', 'auth']));
  }
  for (const destination of config.redisDestinations) {
    const host = destination.resource.spec.host;
    const applies = redisEntries.some(
      se =>
        se.namespace === destination.namespace &&
        se.resource.spec.hosts.some(h => hostMatches(host, destination.namespace, h)),
    );
    if (!applies) {
      issues.push(
        issueAt(
          destination,
          'warning',
          ['spec', 'host'],
          'redis-destination-unused',
          `no ServiceEntry of namespace ${destination.namespace} with a tcp-redis port has host ${host}, so this RedisDestination applies to nothing`,
        ),
      );
    }
    const auth = destination.resource.spec.trafficPolicy?.connectionPool?.redis?.auth;
    issues.push(
      ...authIssues(redis, destination, auth, ['spec', 'trafficPolicy', 'connectionPool', 'redis', 'auth']),
    );
  }
  return issues;
}

function destinationIssues(
  service: ConfigObject<KnownResource>,
  index: ConfigIndex,
  destination: RedisRouteDestination,
  path: FieldPath,
): ConfigIssue[] {
  const host = index.resolveHost(destination.host, service.namespace);
  if (host === undefined) {
    return [
      issueAt(
        service,
        'error',
        [...path, 'host'],
        'redis-destination-host-unknown',
        `no ServiceEntry has host '${destination.host}'`,
      ),
    ];
  }
  const port = destination.port;
  if (port !== undefined && port > 0 && index.servicePort(host, port) === undefined) {
    const known = new Set(
      index.serviceEntriesFor(host).flatMap(se => se.resource.spec.ports.map(p => p.number)),
    );
    return [
      issueAt(
        service,
        'error',
        [...path, 'port'],
        'redis-destination-port-unknown',
        `host '${host}' has no port ${port} (ports: ${[...known].join(', ')})`,
      ),
    ];
  }
  return [];
}

function authIssues(
  redis: RedisConfig,
  object: ConfigObject<KnownResource>,
  auth: RedisAuth | undefined,
  path: FieldPath,
): ConfigIssue[] {
  if (auth?.secret === undefined) return [];
  const resolved = redis.resolveAuth(auth, object.namespace);
  if (!('problem' in resolved)) return [];
  return [issueAt(object, 'error', [...path, 'secret', 'name'], 'redis-auth-secret', resolved.problem)];
}
