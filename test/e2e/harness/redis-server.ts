/**
 * Real Redis servers for the tests (Debian `redis-server`, `redis-cli`): single servers and a Redis
 * Cluster made with `redis-cli --cluster create`, all on loopback with ports from freePort, no
 * persistence (`--save '' --appendonly no`), killed by PID when stopped (and when the test process
 * exits).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitForTcp } from './net-utils.js';

const run = promisify(execFile);
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** `requirepass`. */
  readonly password?: string;
  /** Cluster mode: `cluster-enabled yes` with its node file in `dir`. */
  readonly cluster?: boolean;
  readonly host?: string;
  /** The port to listen on; default a free one. */
  readonly port?: number;
}

/** A running redis-server. */
export class RedisServer {
  private exited = false;

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly password: string | undefined,
  ) {
    child.once('exit', () => {
      this.exited = true;
      running.delete(child);
    });
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? (await freePort(host));
    const dir = await mkdtemp(join(tmpdir(), 'aeraki-redis-'));
    const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    if (options.cluster === true) {
      args.push(
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
      );
    }
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    running.add(child);
    const server = new RedisServer(host, port, child, dir, options.password);
    await waitForTcp(host, port, 10_000);
    return server;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Whether the process still runs. */
  get alive(): boolean {
    return !this.exited;
  }

  /** Runs `redis-cli` against this server and returns its output (trimmed). */
  async cli(...args: string[]): Promise<string> {
    return redisCli(this.host, this.port, args, this.password);
  }

  /** Kills the server (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    while (!this.exited) await sleep(10);
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** `redis-cli -h host -p port args…` (raw output, trimmed). */
export async function redisCli(
  host: string,
  port: number,
  args: readonly string[],
  password?: string,
): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), ...args], {
    env: { ...process.env, ...(password === undefined ? {} : { REDISCLI_AUTH: password }) },
    timeout: 10_000,
  });
  return stdout.trim();
}

/** A Redis Cluster of `masters` masters with `replicas` replicas each, made by `redis-cli --cluster create`. */
export class RedisCluster {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  static async start(masters = 3, replicas = 1): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: masters * (1 + replicas) }, () => RedisServer.start({ cluster: true })),
    );
    const cluster = new RedisCluster(nodes);
    try {
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map(n => n.address),
          '--cluster-replicas',
          String(replicas),
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      await cluster.waitUntilOk(30_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /**
   * Waits until every live node reports `cluster_state:ok`, the slots are covered, and every replica
   * is in sync with its master (`master_link_status:up`).
   */
  async waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.nodes.filter(n => n.alive);
      const states = await Promise.all(live.map(n => n.cli('CLUSTER', 'INFO').catch(() => '')));
      const replication = await Promise.all(live.map(n => n.cli('INFO', 'replication').catch(() => '')));
      const synced = replication.every(r => r.includes('role:master') || r.includes('master_link_status:up'));
      if (synced && states.every(s => s.includes('cluster_state:ok'))) {
        const check = await run('redis-cli', ['--cluster', 'check', this.nodes[0]!.address], {
          timeout: 10_000,
        }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
        if (check.stdout.includes('[OK] All 16384 slots covered') && !check.stdout.includes('[WARNING]'))
          return;
      }
      if (Date.now() > deadline) throw new Error(`the Redis Cluster is not ok after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** The master serving `key` now (from CLUSTER SLOTS of a live node). */
  async masterOf(key: string): Promise<RedisServer> {
    for (const node of this.nodes) {
      const client = new Redis({
        host: node.host,
        port: node.port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      try {
        await client.connect();
        const slot = (await client.call('CLUSTER', 'KEYSLOT', key)) as number;
        const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
        const master = this.nodes.find(n => n.port === owner?.[2][1]);
        if (master !== undefined) return master;
      } catch {
        // A node that is down: ask another.
      } finally {
        client.disconnect();
      }
    }
    throw new Error(`no live node knows the master of ${key}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(n => n.stop()));
  }
}
