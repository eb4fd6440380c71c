/**
 * RedisService and RedisDestination rules on one document (Aeraki runs none; its admission webhook
 * skips these kinds). References to other documents (hosts, Secrets) are checked across documents.
 */
import { parseDurationMs } from '../duration.js';
import type { FieldIssue, FieldPath } from '../issue.js';
import { hostProblem, isWildcardHost } from '../names.js';
import type { RedisAuth, RedisDestinationSpec, RedisServiceSpec } from '../redis.js';
import { faultTypeName, redisModeName } from '../redis.js';

/** Commands the proxy answers itself: faults never apply to them. */
const LOCAL_COMMANDS = new Set(['auth', 'ping', 'hello', 'echo', 'time', 'quit', 'info', 'client', 'select']);

function error(path: FieldPath, rule: string, message: string): FieldIssue {
  return { severity: 'error', path, rule, message };
}

function warning(path: FieldPath, rule: string, message: string): FieldIssue {
  return { severity: 'warning', path, rule, message };
}

function checkPercent(value: number | undefined, path: FieldPath, issues: FieldIssue[]): void {
  if (value !== undefined && !(value >= 0 && value <= 100)) {
    issues.push(error(path, 'percentage-range', `percentage must be 0-100, got ${value}`));
  }
}

/** `auth`: exactly one of secret and plain, with a password. */
export function validateRedisAuth(auth: RedisAuth | undefined, path: FieldPath): FieldIssue[] {
  if (auth === undefined) return [];
  const issues: FieldIssue[] = [];
  if ((auth.secret === undefined) === (auth.plain === undefined)) {
    issues.push(error(path, 'redis-auth-one-of', 'auth needs exactly one of secret and plain'));
  }
  if (auth.plain !== undefined && auth.plain.password === '') {
    issues.push(error([...path, 'plain', 'password'], 'redis-auth-password', 'password must not be empty'));
  }
  if (auth.secret !== undefined && auth.secret.name === '') {
    issues.push(error([...path, 'secret', 'name'], 'redis-auth-secret', 'the Secret name must not be empty'));
  }
  return issues;
}

function checkHost(host: string, path: FieldPath, issues: FieldIssue[]): void {
  const problem = hostProblem(host);
  if (problem !== undefined) issues.push(error(path, 'host', `host '${host}' ${problem}`));
  else if (isWildcardHost(host))
    issues.push(error(path, 'host-wildcard', `host '${host}' must not be a wildcard`));
}

export function validateRedisService(spec: RedisServiceSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  spec.host.forEach((host, i) => checkHost(host, ['spec', 'host', i], issues));
  const settings = spec.settings;
  if (settings !== undefined) {
    if (settings.opTimeout !== undefined && parseDurationMs(settings.opTimeout) === 0) {
      issues.push(
        error(['spec', 'settings', 'opTimeout'], 'redis-op-timeout', 'opTimeout must be more than 0'),
      );
    }
    if (settings.bufferFlushTimeout !== undefined && !(settings.maxBufferSizeBeforeFlush! > 0)) {
      issues.push(
        warning(
          ['spec', 'settings', 'bufferFlushTimeout'],
          'redis-flush-timeout-unused',
          'bufferFlushTimeout does nothing without maxBufferSizeBeforeFlush',
        ),
      );
    }
    issues.push(...validateRedisAuth(settings.auth, ['spec', 'settings', 'auth']));
  }
  let catchAll: number | undefined;
  const prefixes = new Map<string, number>();
  (spec.redis ?? []).forEach((route, r) => {
    const at: FieldPath = ['spec', 'redis', r];
    const prefix = route.match?.key?.prefix;
    if (prefix === undefined) {
      if (route.match?.key?.removePrefix === true) {
        issues.push(
          warning(
            [...at, 'match', 'key', 'removePrefix'],
            'redis-remove-prefix-unused',
            'removePrefix without a prefix does nothing',
          ),
        );
      }
      if (catchAll !== undefined) {
        issues.push(
          error(
            at,
            'redis-catch-all-twice',
            `route ${r} has no key prefix, as route ${catchAll} has: only one route may catch all keys`,
          ),
        );
      } else catchAll = r;
    } else {
      const key = settings?.caseInsensitive === true ? prefix.toLowerCase() : prefix;
      const earlier = prefixes.get(key);
      if (earlier !== undefined) {
        issues.push(
          error(
            [...at, 'match', 'key', 'prefix'],
            'redis-prefix-twice',
            `prefix '${prefix}' is already routed by route ${earlier}`,
          ),
        );
      } else prefixes.set(key, r);
      if (Buffer.byteLength(prefix) > 1000) {
        issues.push(
          error(
            [...at, 'match', 'key', 'prefix'],
            'redis-prefix-length',
            'prefix must be at most 1000 bytes',
          ),
        );
      }
    }
    checkHost(route.route.host, [...at, 'route', 'host'], issues);
    (route.mirror ?? []).forEach((m, i) => {
      checkHost(m.route.host, [...at, 'mirror', i, 'route', 'host'], issues);
      checkPercent(m.percentage?.value, [...at, 'mirror', i, 'percentage', 'value'], issues);
    });
  });
  (spec.faults ?? []).forEach((fault, f) => {
    const at: FieldPath = ['spec', 'faults', f];
    checkPercent(fault.percentage?.value, [...at, 'percentage', 'value'], issues);
    if (fault.percentage?.value === undefined) {
      issues.push(warning(at, 'redis-fault-never', 'a fault without percentage.value applies to no command'));
    }
    const delayMs = fault.delay === undefined ? 0 : (parseDurationMs(fault.delay) ?? 0);
    if (faultTypeName(fault.type) === 'DELAY' && delayMs === 0) {
      issues.push(warning(at, 'redis-fault-no-delay', 'a DELAY fault without a delay does nothing'));
    }
    (fault.commands ?? []).forEach((command, c) => {
      if (LOCAL_COMMANDS.has(command.toLowerCase())) {
        issues.push(
          warning(
            [...at, 'commands', c],
            'redis-fault-local-command',
            `${command} is answered by the proxy itself and is never faulted`,
          ),
        );
      }
    });
  });
  return issues;
}

export function validateRedisDestination(spec: RedisDestinationSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  checkHost(spec.host, ['spec', 'host'], issues);
  const pool = spec.trafficPolicy?.connectionPool;
  const redis = pool?.redis;
  if (redis !== undefined) {
    const at: FieldPath = ['spec', 'trafficPolicy', 'connectionPool', 'redis'];
    issues.push(...validateRedisAuth(redis.auth, [...at, 'auth']));
    const endpoints = redis.discoveryEndpoints ?? [];
    if (endpoints.length > 0 && redisModeName(redis.mode) !== 'CLUSTER') {
      issues.push(
        warning(
          [...at, 'discoveryEndpoints'],
          'redis-discovery-unused',
          'discoveryEndpoints are used in CLUSTER mode only',
        ),
      );
    }
    endpoints.forEach((endpoint, i) => {
      if (parseHostPort(endpoint) === undefined) {
        issues.push(
          error(
            [...at, 'discoveryEndpoints', i],
            'redis-discovery-endpoint',
            `'${endpoint}' must be host or host:port`,
          ),
        );
      }
    });
  }
  const tcp = pool?.tcp;
  if (tcp?.connectTimeout !== undefined && parseDurationMs(tcp.connectTimeout) === 0) {
    issues.push(
      error(
        ['spec', 'trafficPolicy', 'connectionPool', 'tcp', 'connectTimeout'],
        'connect-timeout',
        'connectTimeout must be more than 0',
      ),
    );
  }
  return issues;
}

/** `host` or `host:port` (IPv6 in brackets); the port is `undefined` when absent. */
export function parseHostPort(text: string): { host: string; port: number | undefined } | undefined {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket !== null) return withPort(bracket[1]!, bracket[2]);
  const colon = text.lastIndexOf(':');
  if (colon > 0 && text.indexOf(':') === colon) return withPort(text.slice(0, colon), text.slice(colon + 1));
  if (text === '' || /\s/.test(text)) return undefined;
  return { host: text, port: undefined };
}

function withPort(
  host: string,
  port: string | undefined,
): { host: string; port: number | undefined } | undefined {
  if (host === '') return undefined;
  if (port === undefined) return { host, port: undefined };
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? { host, port: n } : undefined;
}
