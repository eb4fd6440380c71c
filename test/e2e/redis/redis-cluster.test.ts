/**
 * The Redis proxy in CLUSTER mode under `aeraki up`, in front of a real Redis Cluster (3 masters with
 * a replica each, made by `redis-cli --cluster create`, started once for this file): topology
 * discovery, keys on the master that owns their slot, multi-key commands across slots, reads from
 * replicas (readPolicy REPLICA), no error seen by a client while slots move (`redis-cli --cluster
 * reshard`: ASK then MOVED followed), and a master killed: errors, not hangs, then service again
 * once a replica took over.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { keySlot } from '../../../src/redis/key-hash.js';
import {
  createConfigDir,
  freePort,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { redisDestination, redisEntry, redisService } from '../harness/redis-config.js';
import { RedisCluster, type RedisServer } from '../harness/redis-server.js';

const run = promisify(execFile);
const ADDRESS = testAddress(71);

let cluster: RedisCluster;
let aeraki: AerakiProcess;
let config: ConfigDir;
let port: number;
let replicaPort: number;
const clients: Redis[] = [];

async function client(listenerPort = port): Promise<Redis> {
  const c = new Redis({ host: ADDRESS, port: listenerPort, lazyConnect: true });
  clients.push(c);
  await c.connect();
  return c;
}

/** A key whose slot is `slot`, found by trying. */
function keyInSlot(slot: number, prefix: string): string {
  for (let i = 0; ; i++) {
    const key = Buffer.from(`${prefix}${i}`);
    if (keySlot(key, 0, key.length) === slot) return key.toString();
  }
}

before(
  async () => {
    cluster = await RedisCluster.start(3, 1);
    port = await freePort(ADDRESS);
    replicaPort = await freePort(ADDRESS);
    const endpoints = cluster.nodes.map(n => ({ host: n.host, port: n.port }));
    config = await createConfigDir({
      'cluster.yaml': [
        redisEntry({ name: 'cache', addresses: [ADDRESS], port, endpoints }),
        redisEntry({ name: 'cache-replica', addresses: [ADDRESS], port: replicaPort, endpoints }),
        redisService({
          name: 'cache',
          host: 'cache',
          settings: { enableRedirection: true, opTimeout: '2s' },
        }),
        redisService({
          name: 'cache-replica',
          host: 'cache-replica',
          settings: { enableRedirection: true, readPolicy: 'REPLICA', opTimeout: '2s' },
        }),
        redisDestination({ name: 'cache', host: 'cache', mode: 'CLUSTER' }),
        redisDestination({ name: 'cache-replica', host: 'cache-replica', mode: 'CLUSTER' }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: [
        { host: ADDRESS, port },
        { host: ADDRESS, port: replicaPort },
      ],
    });
  },
  { timeout: 90_000 },
);

after(async () => {
  for (const c of clients) c.disconnect();
  await aeraki?.stop();
  await cluster?.stop();
  await config?.remove();
});

describe('Redis proxy, CLUSTER mode', { timeout: 120_000 }, () => {
  test('the topology is discovered; every key lands on the master that owns its slot', async () => {
    const c = await client();
    const keys = Array.from({ length: 30 }, (_, i) => `key:${i}`);
    for (const key of keys) assert.equal(await c.set(key, `v-${key}`), 'OK');
    for (const key of keys) {
      const master = await cluster.masterOf(key);
      assert.equal(await master.cli('GET', key), `v-${key}`, key);
    }
    const owners = new Set(await Promise.all(keys.map(async k => (await cluster.masterOf(k)).port)));
    assert.equal(owners.size, 3, 'the keys spread over the three masters');
  });

  test('multi-key commands across slots: split per slot, joined in order', async () => {
    const c = await client();
    const keys = ['{a}1', 'x', '{a}2', 'y', 'z', '{a}3'];
    assert.equal(await c.mset(...keys.flatMap(k => [k, `v${k}`])), 'OK');
    assert.deepEqual(await c.mget(...keys, 'none'), [...keys.map(k => `v${k}`), null]);
    assert.equal(await c.exists(...keys), keys.length);
    assert.equal(await c.del('{a}1', '{a}2', 'x', 'none'), 3);
    assert.deepEqual(await c.mget('{a}1', '{a}3'), [null, 'v{a}3']);
  });

  test('readPolicy REPLICA: reads are served by replicas, writes by masters', async () => {
    const writer = await client();
    const reader = await client(replicaPort);
    await writer.set('replicated', 'yes');
    const master = await cluster.masterOf('replicated');
    assert.equal(await master.cli('WAIT', '1', '5000'), '1', 'the replica has the key');
    const replicas = cluster.nodes.filter(n => n !== master);
    const count = async (node: RedisServer): Promise<number> =>
      Number(/cmdstat_get:calls=(\d+)/.exec(await node.cli('INFO', 'commandstats'))?.[1] ?? 0);
    const before = await Promise.all(replicas.map(count));
    const masterBefore = await count(master);
    for (let i = 0; i < 10; i++) assert.equal(await reader.get('replicated'), 'yes');
    const after = await Promise.all(replicas.map(count));
    assert.equal(
      after.reduce((s, n) => s + n, 0) - before.reduce((s, n) => s + n, 0),
      10,
      'replicas served the 10 reads',
    );
    assert.equal(await count(master), masterBefore, 'the master served none');
  });

  test('resharding: no client sees an error while slots move (ASK and MOVED are followed)', async () => {
    const c = await client();
    const ids = await Promise.all(cluster.nodes.map(n => n.cli('CLUSTER', 'MYID')));
    const roles = await Promise.all(cluster.nodes.map(n => n.cli('ROLE')));
    const masters = cluster.nodes.map((n, i) => ({
      node: n,
      id: ids[i]!,
      master: roles[i]!.startsWith('master'),
    }));
    const source = await cluster.masterOf(keyInSlot(0, 'r'));
    const target = masters.find(m => m.master && m.node !== source)!;
    const sourceId = masters.find(m => m.node === source)!.id;
    // Keys in the slots that will move (the source's first 200).
    const keys = Array.from({ length: 40 }, (_, i) => keyInSlot(i * 5, `m${i}:`));
    for (const key of keys) await c.set(key, '0');
    let stop = false;
    const errors: string[] = [];
    let rounds = 0;
    const load = (async () => {
      while (!stop) {
        for (const key of keys) {
          try {
            const value = Number(await c.get(key));
            await c.set(key, String(value + 1));
          } catch (err) {
            errors.push(`${key}: ${(err as Error).message}`);
          }
        }
        rounds++;
      }
    })();
    await run(
      'redis-cli',
      [
        '--cluster',
        'reshard',
        source.address,
        '--cluster-from',
        sourceId,
        '--cluster-to',
        target.id,
        '--cluster-slots',
        '200',
        '--cluster-yes',
        '--cluster-pipeline',
        '10',
      ],
      { timeout: 60_000 },
    );
    await cluster.waitUntilOk(30_000);
    const roundsDuring = rounds;
    await new Promise(resolve => setTimeout(resolve, 300));
    stop = true;
    await load;
    assert.deepEqual(errors, []);
    assert.ok(roundsDuring > 0);
    // The proxy did see the moves, and followed them.
    const admin = aeraki.logs.find(l => l.msg === 'ready')?.['admin'] as string;
    const stats = await (await fetch(`http://${admin}/stats/prometheus`)).text();
    const redirects = [...stats.matchAll(/envoy_cluster_redis_redirect_(?:moved|ask)\{[^}]*\} (\d+)/g)];
    assert.ok(redirects.reduce((n, m) => n + Number(m[1]), 0) > 0, 'redirections were followed');
    for (const key of keys)
      assert.equal(await (await cluster.masterOf(key)).port, target.node.port, `${key} moved`);
    for (const key of keys) assert.ok(Number(await c.get(key)) >= 1);
  });

  test('a master killed: errors at once, not hangs; served again after its replica takes over', async () => {
    const c = await client();
    const key = 'failover:1';
    await c.set(key, 'before');
    const master = await cluster.masterOf(key);
    await master.cli('WAIT', '1', '2000');
    await master.kill();
    const start = Date.now();
    let recovered = false;
    let sawError = false;
    while (Date.now() - start < 45_000) {
      const t = Date.now();
      try {
        assert.equal(await c.get(key), 'before');
        recovered = true;
        break;
      } catch (err) {
        sawError = true;
        assert.match((err as Error).message, /upstream failure|no upstream host|CLUSTERDOWN|MOVED|TRYAGAIN/);
        assert.ok(Date.now() - t < 5000, 'each failing command returns within its op timeout');
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    assert.ok(sawError, 'commands failed while the master was down');
    assert.ok(recovered, `served again after the failover (waited ${Date.now() - start} ms)`);
  });
});
