/**
 * The commands the proxy knows, and how each is handled: routed by one key, split per key and
 * joined, answered by the proxy itself, or refused with an error naming the command. Follows Envoy's
 * redis_proxy (its supported commands, which of them write, what it answers locally), with the
 * single-key commands Redis added since.
 */

/** How a command is handled. */
export const enum CommandKind {
  /** Routed by the key at `keyIndex`. */
  SingleKey,
  /** EVAL-like: `script numkeys key …`, routed by the first key (index 3). */
  Eval,
  /** DEL, EXISTS, TOUCH, UNLINK: one command per key, replies summed. */
  SumPerKey,
  /** MGET: one GET per key, replies joined in order into an array. */
  MGet,
  /** MSET: one SET per key and value, OK when all are. */
  MSet,
  /** Answered by the proxy (PING, ECHO, TIME, QUIT, AUTH, HELLO, INFO, CLIENT SETNAME, …). */
  Local,
  /** Refused: `unsupported` says why. */
  Unsupported,
}

/** One command's handling. */
export interface CommandSpec {
  /** Lower-case name, as in stats. */
  readonly name: string;
  readonly kind: CommandKind;
  /** Whether it changes data (mirrors with `excludeReadCommands` skip the others). */
  readonly write: boolean;
  /** Why the proxy refuses it, for {@link CommandKind.Unsupported}. */
  readonly unsupported?: string;
}

/** Single-key commands Envoy routes, plus newer single-key commands. */
const SINGLE_KEY_READS = [
  'bf.card',
  'bf.exists',
  'bf.info',
  'bf.mexists',
  'bf.scandump',
  'bitcount',
  'bitpos',
  'dump',
  'expiretime',
  'geodist',
  'geohash',
  'geopos',
  'georadius_ro',
  'georadiusbymember_ro',
  'geosearch',
  'get',
  'getbit',
  'getrange',
  'hexists',
  'hget',
  'hgetall',
  'hkeys',
  'hlen',
  'hmget',
  'hrandfield',
  'hscan',
  'hstrlen',
  'hvals',
  'lindex',
  'llen',
  'lpos',
  'lrange',
  'pexpiretime',
  'pfcount',
  'pttl',
  'scard',
  'sismember',
  'smembers',
  'smismember',
  'srandmember',
  'sscan',
  'strlen',
  'substr',
  'ttl',
  'type',
  'xlen',
  'xpending',
  'xrange',
  'xrevrange',
  'zcard',
  'zcount',
  'zlexcount',
  'zmscore',
  'zrandmember',
  'zrange',
  'zrangebylex',
  'zrangebyscore',
  'zrank',
  'zrevrange',
  'zrevrangebylex',
  'zrevrangebyscore',
  'zrevrank',
  'zscan',
  'zscore',
  'publish',
];
const SINGLE_KEY_WRITES = [
  'append',
  'bf.add',
  'bf.insert',
  'bf.loadchunk',
  'bf.madd',
  'bf.reserve',
  'bitfield',
  'decr',
  'decrby',
  'expire',
  'expireat',
  'geoadd',
  'getdel',
  'getex',
  'getset',
  'hdel',
  'hincrby',
  'hincrbyfloat',
  'hmset',
  'hset',
  'hsetnx',
  'incr',
  'incrby',
  'incrbyfloat',
  'linsert',
  'lpop',
  'lpush',
  'lpushx',
  'lrem',
  'lset',
  'ltrim',
  'persist',
  'pexpire',
  'pexpireat',
  'pfadd',
  'psetex',
  'restore',
  'rpop',
  'rpush',
  'rpushx',
  'sadd',
  'set',
  'setbit',
  'setex',
  'setnx',
  'setrange',
  'spop',
  'srem',
  'xack',
  'xadd',
  'xautoclaim',
  'xclaim',
  'xdel',
  'xtrim',
  'zadd',
  'zincrby',
  'zpopmax',
  'zpopmin',
  'zrem',
  'zremrangebylex',
  'zremrangebyrank',
  'zremrangebyscore',
];

const LOCAL = [
  'auth',
  'hello',
  'ping',
  'echo',
  'time',
  'quit',
  'info',
  'client',
  'select',
  'readonly',
  'readwrite',
];

const UNSUPPORTED: Readonly<Record<string, string>> = {
  // Blocking commands hold the upstream connection every client shares.
  ...Object.fromEntries(
    [
      'blpop',
      'brpop',
      'brpoplpush',
      'blmove',
      'blmpop',
      'bzpopmin',
      'bzpopmax',
      'bzmpop',
      'wait',
      'waitaof',
    ].map(c => [c, 'blocking commands are not supported through the proxy']),
  ),
  ...Object.fromEntries(
    ['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'monitor'].map(
      c => [c, 'subscriptions are not supported through the proxy'],
    ),
  ),
  ...Object.fromEntries(
    ['multi', 'exec', 'discard', 'watch', 'unwatch'].map(c => [
      c,
      'transactions are not supported through the proxy',
    ]),
  ),
  ...Object.fromEntries(
    [
      'config',
      'cluster',
      'command',
      'debug',
      'shutdown',
      'save',
      'bgsave',
      'bgrewriteaof',
      'lastsave',
      'slaveof',
      'replicaof',
      'failover',
      'acl',
      'module',
      'slowlog',
      'latency',
      'lolwut',
      'role',
      'sync',
      'psync',
      'swapdb',
      'flushall',
      'flushdb',
      'dbsize',
      'keys',
      'scan',
      'randomkey',
      'script',
      'function',
      'fcall',
      'fcall_ro',
      'pubsub',
      'migrate',
      'move',
      'copy',
      'rename',
      'renamenx',
      'smove',
      'sinter',
      'sintercard',
      'sinterstore',
      'sunion',
      'sunionstore',
      'sdiff',
      'sdiffstore',
      'zunion',
      'zunionstore',
      'zinter',
      'zinterstore',
      'zintercard',
      'zdiff',
      'zdiffstore',
      'zrangestore',
      'lmove',
      'rpoplpush',
      'lmpop',
      'zmpop',
      'msetnx',
      'pfmerge',
      'bitop',
      'georadius',
      'georadiusbymember',
      'geosearchstore',
      'sort',
      'sort_ro',
      'xread',
      'xreadgroup',
      'xgroup',
      'xinfo',
      'xsetid',
      'reset',
      'asking',
      'object',
      'memory',
    ].map(c => [c, 'the proxy cannot route it']),
  ),
};

function buildTable(): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  const add = (spec: CommandSpec): void => {
    table.set(spec.name, spec);
    table.set(spec.name.toUpperCase(), spec);
  };
  for (const [name, why] of Object.entries(UNSUPPORTED)) {
    add({ name, kind: CommandKind.Unsupported, write: false, unsupported: why });
  }
  for (const name of SINGLE_KEY_READS) add({ name, kind: CommandKind.SingleKey, write: false });
  for (const name of SINGLE_KEY_WRITES) add({ name, kind: CommandKind.SingleKey, write: true });
  for (const name of ['eval', 'evalsha']) add({ name, kind: CommandKind.Eval, write: true });
  for (const name of ['eval_ro', 'evalsha_ro']) add({ name, kind: CommandKind.Eval, write: false });
  for (const name of ['del', 'unlink', 'touch']) add({ name, kind: CommandKind.SumPerKey, write: true });
  add({ name: 'exists', kind: CommandKind.SumPerKey, write: false });
  add({ name: 'mget', kind: CommandKind.MGet, write: false });
  add({ name: 'mset', kind: CommandKind.MSet, write: true });
  for (const name of LOCAL) add({ name, kind: CommandKind.Local, write: false });
  return table;
}

const TABLE = buildTable();

/**
 * The spec of the command named `name` (as the client spelled it), or `undefined` for a command the
 * proxy does not know.
 */
export function lookupCommand(name: string): CommandSpec | undefined {
  return TABLE.get(name) ?? TABLE.get(name.toLowerCase());
}

/** FNV-1a of the bytes with ASCII letters lower-cased. */
function nameHash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let c = buf[i]!;
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** The specs by the hash of their name (a list: names may share a hash). */
const BY_HASH = (() => {
  const byHash = new Map<number, CommandSpec[]>();
  for (const spec of new Set(TABLE.values())) {
    const hash = nameHash(Buffer.from(spec.name, 'latin1'), 0, spec.name.length);
    const list = byHash.get(hash);
    if (list === undefined) byHash.set(hash, [spec]);
    else list.push(spec);
  }
  return byHash;
})();

function sameName(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let c = buf[start + k]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * {@link lookupCommand} for a name given as bytes, `buf[start, end)` (any ASCII case): the request
 * path's lookup, which makes no string.
 */
export function lookupCommandBytes(buf: Uint8Array, start: number, end: number): CommandSpec | undefined {
  const list = BY_HASH.get(nameHash(buf, start, end));
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const spec = list[i]!;
    if (sameName(buf, start, end, spec.name)) return spec;
  }
  return undefined;
}

/** Every command name the proxy routes or answers (lower-case). */
export function knownCommandNames(): string[] {
  return [
    ...new Set([...TABLE.values()].filter(s => s.kind !== CommandKind.Unsupported).map(s => s.name)),
  ].sort();
}
