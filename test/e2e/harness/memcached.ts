/**
 * Real memcached for the tests: Debian's `memcached` servers (scripts/setup.sh installs them), and
 * the `memjs` binary-protocol client with a promise API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  createConfigDir,
  destination,
  destinationRule,
  metaRouter,
  staticServiceEntry,
  type ConfigDocument,
} from './mesh-config.js';
import { freePort, waitForTcp } from './net-utils.js';
import { startAeraki, type AerakiProcess } from './aeraki-process.js';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A memcached server this test process started. */
export interface MemcachedServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `memcached` on 127.0.0.1:`port` (binary and text protocols, no UDP). */
export async function startMemcached(port: number): Promise<MemcachedServer> {
  const asRoot = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child = spawn(
    'memcached',
    ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16', ...asRoot],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  try {
    await waitForTcp('127.0.0.1', port, 5000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`memcached on port ${port} did not start: ${(err as Error).message} ${stderr}`);
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      running.delete(child);
    },
  };
}

interface MemjsResponse {
  readonly value: Buffer | null;
}

/** The part of memjs's Client the tests use (memjs ships no types). */
interface MemjsClient {
  get(key: string): Promise<MemjsResponse>;
  set(key: string, value: string, options: { expires?: number }): Promise<boolean>;
  add(key: string, value: string, options: { expires?: number }): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  quit(): void;
  close(): void;
}

const memjs = createRequire(import.meta.url)('memjs') as {
  Client: { create(servers: string, options: Record<string, unknown>): MemjsClient };
};

/** A memjs client of one server (`host:port`), quiet, with a 2 s timeout and no retries. */
export function memjsClient(target: string): MemjsClient {
  return memjs.Client.create(target, { retries: 1, timeout: 2, logger: { log() {} } });
}

/** The memcached service of the tests: shards `a` and `b` (two servers) and a `dead` port. */
export interface CacheServiceSpec {
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly a: number;
  readonly b: number;
  readonly dead: number;
  /** The ApplicationProtocol that maps protocol `memcached` to its codec. */
  readonly protocol: ConfigDocument;
}

/**
 * The documents of the service: routes by key prefix — `user:` to a, `session:` to b, `split:` 20%
 * to a and 80% to b, `mirror:` to a mirrored to b, `dead:` to the dead port — and everything else
 * (keyless commands) to a.
 */
export function cacheService(spec: CacheServiceSpec): ConfigDocument[] {
  const { host } = spec;
  const prefix = (p: string) => ({ attributes: { key: { prefix: p } } });
  return [
    spec.protocol,
    staticServiceEntry(
      {
        name: 'cache',
        host,
        addresses: [spec.address],
        port: spec.port,
        endpoints: [
          { address: '127.0.0.1', port: spec.a, labels: { shard: 'a' } },
          { address: '127.0.0.1', port: spec.b, labels: { shard: 'b' } },
          { address: '127.0.0.1', port: spec.dead, labels: { shard: 'dead' } },
        ],
      },
      'tcp-metaprotocol-memcached-cache',
    ),
    destinationRule({
      name: 'cache',
      host,
      subsets: { a: { shard: 'a' }, b: { shard: 'b' }, dead: { shard: 'dead' } },
    }),
    metaRouter({
      name: 'cache',
      host,
      routes: [
        { name: 'users', match: prefix('user:'), route: [destination(host, 'a')] },
        { name: 'sessions', match: prefix('session:'), route: [destination(host, 'b')] },
        {
          name: 'split',
          match: prefix('split:'),
          route: [destination(host, 'a', 20), destination(host, 'b', 80)],
        },
        {
          name: 'mirror',
          match: prefix('mirror:'),
          route: [destination(host, 'a')],
          mirror: { host, subset: 'b' },
        },
        { name: 'dead', match: prefix('dead:'), route: [destination(host, 'dead')] },
        { name: 'default', route: [destination(host, 'a')] },
      ],
    }),
  ];
}

/** Two memcached servers, and `aeraki up` in front of them serving {@link cacheService}. */
export interface CacheProxy {
  readonly a: MemcachedServer;
  readonly b: MemcachedServer;
  readonly aeraki: AerakiProcess;
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a {@link CacheProxy} on `address`, its codec given by `protocol` and `args` (e.g. --plugin). */
export async function startCacheProxy(
  address: string,
  protocol: ConfigDocument,
  args: readonly string[],
): Promise<CacheProxy> {
  const [a, b] = [await startMemcached(await freePort()), await startMemcached(await freePort())];
  const port = await freePort(address);
  const config = await createConfigDir({
    'cache.yaml': cacheService({
      host: 'cache.demo.svc.cluster.local',
      address,
      port,
      a: a.port,
      b: b.port,
      dead: await freePort(),
      protocol,
    }),
  });
  const aeraki = await startAeraki(config.path, { extraArgs: args, listeners: [{ host: address, port }] });
  return {
    a,
    b,
    aeraki,
    address,
    port,
    async stop() {
      await aeraki.stop();
      await config.remove();
      await a.stop();
      await b.stop();
    },
  };
}
