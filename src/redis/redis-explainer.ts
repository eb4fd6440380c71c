/**
 * "Where does this key go" for a Redis service: runs a key (and a command) through a Redis
 * listener's prefix router, faults and mirrors, and its cluster's placement (the endpoint the key
 * hashes to, or its Redis Cluster slot and the shard's nodes), with the same code live commands
 * use. Served by the admin API (`/explain?service=…&key=…`) and printed by `aeraki explain`. Also
 * finds a service's Redis listeners for `aeraki tap`.
 */
import { lookupCommand } from './commands.js';
import type { RedisListener, RedisCommandObserver, RedisCommandRecord } from './listener/redis-listener.js';
import type { RedisUpstreams } from './upstream/redis-upstreams.js';
import type { KeyPlacement } from './upstream/upstream-cluster.js';

export interface RedisExplanationReport {
  readonly protocol: 'redis';
  readonly listeners: readonly string[];
  readonly statPrefix: string;
  readonly key: string;
  readonly command: string;
  /** Whether clients must AUTH first. */
  readonly authRequired: boolean;
  /** The route that takes the key; absent: the client gets "no upstream host". */
  readonly route?: {
    readonly prefix: string;
    readonly catchAll: boolean;
    readonly removePrefix: boolean;
    readonly cluster: string;
  };
  /** The key as the upstream gets it (prefix removed). */
  readonly forwardedKey?: string;
  readonly placement?: KeyPlacement;
  readonly mirrors: readonly {
    readonly cluster: string;
    readonly percent: number;
    readonly mirrored: boolean;
  }[];
  /** Faults that may apply to the command, with their share. */
  readonly faults: readonly { readonly type: string; readonly percent: number; readonly delayMs: number }[];
}

/**
 * The Redis listeners a user means by `service`: a listener name as it is, or a host (optionally
 * `host:port`, or with `port`) matched against the listeners' stat prefixes `outbound|<port>||<host>`.
 */
export function redisListenersForService(
  listeners: Iterable<RedisListener>,
  service: string,
  port?: number,
): RedisListener[] {
  const all = [...listeners];
  const byName = all.filter(l => l.name === service);
  if (byName.length > 0) return byName;
  let host = service;
  let wantedPort = port;
  const colon = service.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(service.slice(colon + 1))) {
    host = service.slice(0, colon);
    wantedPort = Number(service.slice(colon + 1));
  }
  return all
    .filter(l => {
      const resource = l.state.resource;
      const [, portText, , prefixHost] = resource.statPrefix.split('|');
      return prefixHost === host && (wantedPort === undefined || Number(portText) === wantedPort);
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Explains how the listener routes `command key`. */
export function explainRedisKey(
  listener: RedisListener,
  upstreams: RedisUpstreams,
  key: string,
  command: string,
  listenerNames: readonly string[],
): RedisExplanationReport {
  const state = listener.state;
  const spec = lookupCommand(command);
  const name = spec?.name ?? command.toLowerCase();
  const bytes = Buffer.from(key, 'utf8');
  const route = state.router.match(bytes, 0, bytes.length);
  const base = {
    protocol: 'redis' as const,
    listeners: listenerNames,
    statPrefix: state.resource.statPrefix,
    key,
    command: name,
    authRequired: state.authRequired,
    faults: state.faults
      .candidates(name)
      .map(f => ({ type: f.type, percent: f.percent, delayMs: f.delayMs })),
  };
  if (route === undefined) return { ...base, mirrors: [] };
  const resource = route.resource;
  const cut = resource.removePrefix ? route.prefix.length : 0;
  const forwarded = bytes.subarray(cut);
  const read = spec === undefined ? true : !spec.write;
  const cluster = upstreams.get(resource.cluster);
  const settings = state.resource.settings;
  return {
    ...base,
    route: {
      prefix: resource.prefix,
      catchAll: route === state.router.catchAll,
      removePrefix: resource.removePrefix,
      cluster: resource.cluster,
    },
    forwardedKey: forwarded.toString('utf8'),
    placement:
      cluster === undefined
        ? { mode: 'proxy', problem: `cluster ${resource.cluster} is not known` }
        : cluster.explainKey(forwarded, settings.enableHashtagging, read, settings.readPolicy),
    mirrors: resource.mirrors.map(m => ({
      cluster: m.cluster,
      percent: m.percent,
      mirrored: !(m.excludeReadCommands && read),
    })),
  };
}

/** A live tap on Redis listeners: commands whose `command` and `key` match, up to a limit. */
export class RedisTap implements RedisCommandObserver {
  private seen = 0;
  private closed = false;

  /**
   * @param match exact values for `command` (lower-case) and `key`; empty = every command
   * @param limit records to deliver before the tap closes itself; 0 = no limit
   */
  constructor(
    private readonly match: ReadonlyMap<string, string>,
    private readonly limit: number,
    private readonly deliver: (record: RedisCommandRecord) => void,
    private readonly onClose: () => void,
  ) {}

  wants(command: string, key: () => string | undefined): boolean {
    if (this.closed) return false;
    const wantedCommand = this.match.get('command');
    if (wantedCommand !== undefined && wantedCommand.toLowerCase() !== command) return false;
    const wantedKey = this.match.get('key');
    return wantedKey === undefined || key() === wantedKey;
  }

  publish(record: RedisCommandRecord): void {
    if (this.closed) return;
    this.deliver(record);
    if (this.limit > 0 && ++this.seen >= this.limit) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
