/**
 * memcached through `aeraki up --plugin plugins/memcached`, with real peers: two Debian memcached
 * servers and the memjs binary client. Key-prefix routing over the two servers, a 20/80 split,
 * mirroring, a dead server answered with memcached's own status, clients whose opaques collide, and
 * quiet commands, which answer only on failure.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  applicationProtocol,
  binomialBounds,
  listenerStats,
  memjsClient,
  repoRoot,
  startCacheProxy,
  testAddress,
  type AerakiProcess,
  type CacheProxy,
  type MemcachedServer,
} from './harness/index.js';

const ADDRESS = testAddress(71);
const SPLIT_KEYS = 300;

/** A raw binary request packet. */
function request(opcode: number, opaque: number, key = '', value = '', extras = ''): Buffer {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const e = Buffer.from(extras, 'hex');
  const out = Buffer.alloc(24 + e.length + k.length + v.length);
  out[0] = 0x80;
  out[1] = opcode;
  out.writeUInt16BE(k.length, 2);
  out[4] = e.length;
  out.writeUInt32BE(e.length + k.length + v.length, 8);
  out.writeUInt32BE(opaque, 12);
  e.copy(out, 24);
  k.copy(out, 24 + e.length);
  v.copy(out, 24 + e.length + k.length);
  return out;
}

interface Reply {
  readonly opcode: number;
  readonly status: number;
  readonly opaque: number;
  readonly value: string;
}

/** Sends `packets` on one connection and collects the replies that arrive within `waitMs`. */
async function exchange(port: number, packets: Buffer[], waitMs: number): Promise<Reply[]> {
  const socket = connect(port, ADDRESS);
  const replies: Reply[] = [];
  let buffered = Buffer.alloc(0);
  socket.on('data', chunk => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 24 && buffered.length >= 24 + buffered.readUInt32BE(8)) {
      const p = buffered.subarray(0, 24 + buffered.readUInt32BE(8));
      buffered = buffered.subarray(p.length);
      const valueAt = 24 + p[4]! + p.readUInt16BE(2);
      replies.push({
        opcode: p[1]!,
        status: p.readUInt16BE(6),
        opaque: p.readUInt32BE(12),
        value: p.subarray(valueAt).toString(),
      });
    }
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(Buffer.concat(packets));
  await new Promise(resolve => setTimeout(resolve, waitMs));
  socket.destroy();
  return replies;
}

describe('memcached through the memcached plugin, with memjs and two memcached servers', () => {
  let cache: CacheProxy;
  let a: MemcachedServer;
  let b: MemcachedServer;
  let aeraki: AerakiProcess;
  let port: number;
  const proxy = () => memjsClient(`${ADDRESS}:${port}`);

  before(async () => {
    cache = await startCacheProxy(
      ADDRESS,
      applicationProtocol('memcached', 'aeraki.meta_protocol.codec.memcached'),
      ['--plugin', join(repoRoot(), 'plugins/memcached')],
    );
    ({ a, b, aeraki, port } = cache);
  });

  after(async () => {
    await cache?.stop();
  });

  test('routes by key prefix: user: keys live on one server, session: keys on the other', async () => {
    const client = proxy();
    const [onA, onB] = [memjsClient(`127.0.0.1:${a.port}`), memjsClient(`127.0.0.1:${b.port}`)];
    try {
      assert.equal(await client.set('user:1', 'alice', { expires: 0 }), true);
      assert.equal(await client.set('session:1', 's-alice', { expires: 0 }), true);
      assert.equal((await client.get('user:1')).value?.toString(), 'alice');
      assert.equal((await client.get('session:1')).value?.toString(), 's-alice');
      assert.equal((await onA.get('user:1')).value?.toString(), 'alice');
      assert.equal((await onA.get('session:1')).value, null);
      assert.equal((await onB.get('session:1')).value?.toString(), 's-alice');
      assert.equal((await onB.get('user:1')).value, null);
      assert.equal(
        await client.add('user:1', 'bob', { expires: 0 }),
        false,
        "memcached's own answer: key exists",
      );
      assert.equal(await client.delete('user:1'), true);
      assert.equal((await onA.get('user:1')).value, null);
    } finally {
      for (const c of [client, onA, onB]) c.close();
    }
  });

  test(`a 20/80 split: ${SPLIT_KEYS} keys land on the two servers within the binomial 99.9% bounds`, async () => {
    const client = proxy();
    const onA = memjsClient(`127.0.0.1:${a.port}`);
    try {
      await Promise.all(
        Array.from({ length: SPLIT_KEYS }, (_, i) => client.set(`split:${i}`, 'x', { expires: 0 })),
      );
      let onFirst = 0;
      for (let i = 0; i < SPLIT_KEYS; i++) if ((await onA.get(`split:${i}`)).value !== null) onFirst++;
      const bounds = binomialBounds(SPLIT_KEYS, 0.2);
      assert.ok(
        onFirst >= bounds.low && onFirst <= bounds.high,
        `${onFirst} of ${SPLIT_KEYS} on the 20% server, expected ${bounds.low}..${bounds.high}`,
      );
    } finally {
      client.close();
      onA.close();
    }
  });

  test('mirroring: a set reaches both servers; the client hears the primary', async () => {
    const client = proxy();
    const [onA, onB] = [memjsClient(`127.0.0.1:${a.port}`), memjsClient(`127.0.0.1:${b.port}`)];
    try {
      assert.equal(await client.set('mirror:1', 'copy', { expires: 0 }), true);
      assert.equal((await onA.get('mirror:1')).value?.toString(), 'copy');
      for (let i = 0; i < 50 && (await onB.get('mirror:1')).value === null; i++) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      assert.equal((await onB.get('mirror:1')).value?.toString(), 'copy', 'the mirror got it too');
    } finally {
      for (const c of [client, onA, onB]) c.close();
    }
  });

  test("a dead server is answered with memcached's own status, temporary failure (0x86)", async () => {
    const client = proxy();
    try {
      await assert.rejects(client.set('dead:1', 'x', { expires: 0 }), /MemJS SET: Temporary failure/);
      assert.equal((await client.get('user:2')).value, null, 'the connection still serves');
    } finally {
      client.close();
    }
  });

  test('clients whose opaques collide (memjs numbers its requests from 1) each get their own values', async () => {
    const clients = [proxy(), proxy(), proxy()];
    try {
      await Promise.all(
        clients.map(async (c, n) => {
          await Promise.all(
            Array.from({ length: 40 }, (_, i) => c.set(`user:c${n}-${i}`, `v${n}-${i}`, { expires: 0 })),
          );
          const got = await Promise.all(Array.from({ length: 40 }, (_, i) => c.get(`user:c${n}-${i}`)));
          assert.deepEqual(
            got.map(g => g.value?.toString()),
            Array.from({ length: 40 }, (_, i) => `v${n}-${i}`),
          );
        }),
      );
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('quiet commands answer only on failure, as memcached would, and nothing waits for a timeout', async () => {
    const noExpiry = '0000000000000000';
    const replies = await exchange(
      port,
      [
        request(0x11, 101, 'user:q', 'zed', noExpiry), // SETQ: stored, silent
        request(0x0d, 102, 'user:q'), // GETKQ: a hit, answered
        request(0x09, 103, 'user:none'), // GETQ: a miss, silent
        request(0x12, 104, 'user:q', 'dup', noExpiry), // ADDQ: the key exists, answered
        request(0x14, 105, 'session:none'), // DELETEQ: not found, answered
        request(0x0a, 106), // NOOP: answered
      ],
      500,
    );
    const byOpaque = new Map(replies.map(r => [r.opaque, r]));
    assert.deepEqual([...byOpaque.keys()].sort(), [102, 104, 105, 106], JSON.stringify(replies));
    assert.deepEqual(
      [byOpaque.get(102)!.opcode, byOpaque.get(102)!.status, byOpaque.get(102)!.value],
      [0x0d, 0, 'zed'],
    );
    assert.deepEqual([byOpaque.get(104)!.opcode, byOpaque.get(104)!.status], [0x12, 0x0002]);
    assert.deepEqual([byOpaque.get(105)!.opcode, byOpaque.get(105)!.status], [0x14, 0x0001]);
    assert.deepEqual([byOpaque.get(106)!.opcode, byOpaque.get(106)!.status], [0x0a, 0]);
    const stats = await listenerStats(aeraki, ADDRESS, port);
    assert.equal((stats['localReply'] as Record<string, number>)['timeout'], 0, JSON.stringify(stats));
  });

  test('QUIT is answered by the proxy and ends only that client', async () => {
    const replies = await exchange(port, [request(0x07, 9)], 200);
    assert.deepEqual(
      replies.map(r => [r.opcode, r.status, r.opaque]),
      [[0x07, 0, 9]],
    );
    const client = proxy();
    try {
      assert.equal(await client.set('user:after-quit', 'still', { expires: 0 }), true);
    } finally {
      client.close();
    }
  });
});
