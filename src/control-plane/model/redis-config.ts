/**
 * Lookups for the Redis kinds, as Aeraki makes them: a ServiceEntry's RedisService is the first one
 * (in config order) of the entry's namespace whose `host` list names one of the entry's hosts; a
 * host's RedisDestination is the first one of the namespace whose `host` names it; credentials come
 * inline or from a Secret of the same namespace (password under `passwordField`, else `password`,
 * else `token`; username under `usernameField`; both trimmed).
 */
import {
  secretValue,
  selectPortProtocol,
  type RedisAuth,
  type RedisDestination,
  type RedisRouteDestination,
  type RedisService,
  type Secret,
  type ServiceEntry,
} from '../../api/index.js';
import type { RedisUpstreamAuth } from '../../xds/redis-resources.js';
import type { ConfigObject, ConfigSet } from './config-set.js';
import { hostMatches, type ConfigIndex } from './config-index.js';

/** Credentials resolved, or why they cannot be. */
export type ResolvedAuth = { readonly auth: RedisUpstreamAuth } | { readonly problem: string };

export class RedisConfig {
  private readonly secrets = new Map<string, ConfigObject<Secret>>();

  constructor(
    readonly config: ConfigSet,
    private readonly index: ConfigIndex,
  ) {
    for (const secret of config.secrets)
      if (!this.secrets.has(secret.key)) this.secrets.set(secret.key, secret);
  }

  /** The RedisService of a ServiceEntry, if any. */
  serviceFor(entry: ConfigObject<ServiceEntry>): ConfigObject<RedisService> | undefined {
    return this.servicesFor(entry)[0];
  }

  /** Every RedisService naming one of the entry's hosts in its namespace, in config order. */
  servicesFor(entry: ConfigObject<ServiceEntry>): ConfigObject<RedisService>[] {
    const hosts = entry.resource.spec.hosts;
    return this.config.redisServices.filter(
      rs =>
        rs.namespace === entry.namespace &&
        rs.resource.spec.host.some(written => hosts.some(h => hostMatches(written, rs.namespace, h))),
    );
  }

  /** The RedisDestination for `host` in `namespace`, if any. */
  destinationFor(host: string, namespace: string): ConfigObject<RedisDestination> | undefined {
    return this.config.redisDestinations.find(
      rd => rd.namespace === namespace && hostMatches(rd.resource.spec.host, rd.namespace, host),
    );
  }

  /** The credentials `auth` gives in `namespace`. */
  resolveAuth(auth: RedisAuth, namespace: string): ResolvedAuth {
    if (auth.plain !== undefined) {
      const { password, username } = auth.plain;
      return { auth: username === undefined || username === '' ? { password } : { username, password } };
    }
    const reference = auth.secret;
    if (reference === undefined) return { problem: 'auth needs secret or plain' };
    const secret = this.secrets.get(`${namespace}/${reference.name}`);
    if (secret === undefined) return { problem: `Secret ${namespace}/${reference.name} does not exist` };
    const spec = secret.resource.spec;
    const field = reference.passwordField;
    const password =
      field !== undefined && field !== ''
        ? secretValue(spec, field)
        : (secretValue(spec, 'password') ?? secretValue(spec, 'token'));
    if (password === undefined || password.trim() === '') {
      const keys = field !== undefined && field !== '' ? `'${field}'` : "'password' or 'token'";
      return { problem: `Secret ${namespace}/${reference.name} has no ${keys} key with a value` };
    }
    let username: string | undefined;
    if (reference.usernameField !== undefined && reference.usernameField !== '') {
      username = secretValue(spec, reference.usernameField)?.trim();
      if (username === undefined) {
        return { problem: `Secret ${namespace}/${reference.name} has no '${reference.usernameField}' key` };
      }
    }
    const trimmed = password.trim();
    return {
      auth:
        username === undefined || username === '' ? { password: trimmed } : { username, password: trimmed },
    };
  }

  /**
   * The service port a route destination means: its own, else the first Redis port of the host's
   * ServiceEntry, else the listener's (as Aeraki picks it). `undefined` when the host is unknown.
   */
  destinationPort(
    destination: RedisRouteDestination,
    namespace: string,
    listenerPort: number,
  ): { host: string; port: number } | undefined {
    const host = this.index.resolveHost(destination.host, namespace);
    if (host === undefined) return undefined;
    if (destination.port !== undefined && destination.port > 0) return { host, port: destination.port };
    for (const entry of this.index.serviceEntriesFor(host)) {
      const port = entry.resource.spec.ports.find(p => selectPortProtocol(p.name).family === 'redis');
      if (port !== undefined) return { host, port: port.number };
    }
    return { host, port: listenerPort };
  }
}
