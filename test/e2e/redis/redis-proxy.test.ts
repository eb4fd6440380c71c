/**
 * The Redis proxy in PROXY mode under `aeraki up`, with real peers: Debian redis-server upstreams,
 * ioredis with its default options (RESP3 through HELLO 3 AUTH), redis-cli (RESP2). Every routing
 * feature is checked by reading the keys on each server directly: prefix routes with and without
 * removePrefix, the catch-all route, multi-key commands split and joined in order, hash tags across
 * two endpoints, mirroring of writes only, faults, the op timeout, downstream and upstream auth, the
 * commands the proxy refuses, protocol errors, and a server killed (errors, not hangs).
 */
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createConfigDir,
  freePort,
  runAeraki,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { RedisServer, redisCli } from '../harness/redis-server.js';
import { redisEntry, redisService, redisDestination, secret } from '../harness/redis-config.js';

const ADDRESS = testAddress(70);
const FRONT_PASSWORD = 'frontpw';
const UPSTREAM_PASSWORD = 'upstreampw';
const OP_TIMEOUT_MS = 500;

let a: RedisServer;
let a2: RedisServer;
let b: RedisServer;
let mirror: RedisServer;
let victim: RedisServer;
let silent: net.Server;
let aeraki: AerakiProcess;
let config: ConfigDir;
let port: number;
let victimPort: number;
const clients: Redis[] = [];

/** An ioredis client of the proxy with default options (RESP3, HELLO 3 AUTH default <password>). */
async function client(options: { port?: number; password?: string } = {}): Promise<Redis> {
  const c = new Redis({
    host: ADDRESS,
    port: options.port ?? port,
    password: options.password ?? FRONT_PASSWORD,
    lazyConnect: true,
  });
  clients.push(c);
  await c.connect();
  return c;
}

async function direct(server: RedisServer, ...args: string[]): Promise<string> {
  return server.cli(...args);
}

before(
  async () => {
    [a, a2, b, mirror, victim] = await Promise.all([
      RedisServer.start(),
      RedisServer.start(),
      RedisServer.start({ password: UPSTREAM_PASSWORD }),
      RedisServer.start(),
      RedisServer.start(),
    ]);
    // A server that accepts connections and never answers.
    silent = net.createServer(socket => socket.on('data', () => {})).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentPort = (silent.address() as AddressInfo).port;
    port = await freePort(ADDRESS);
    victimPort = await freePort(ADDRESS);
    config = await createConfigDir({
      'redis.yaml': [
        redisEntry({ name: 'front', addresses: [ADDRESS], port, endpoints: [] }),
        redisEntry({ name: 'store-a', port: 6379, endpoints: [a, a2] }),
        redisEntry({ name: 'store-b', port: 6379, endpoints: [b] }),
        redisEntry({ name: 'store-m', port: 6379, endpoints: [mirror] }),
        redisEntry({ name: 'store-slow', port: 6379, endpoints: [{ host: '127.0.0.1', port: silentPort }] }),
        redisEntry({ name: 'victim', addresses: [ADDRESS], port: victimPort, endpoints: [victim] }),
        redisService({
          name: 'front',
          host: 'front',
          settings: {
            auth: { secret: { name: 'front-auth' } },
            opTimeout: `${OP_TIMEOUT_MS}ms`,
            enableHashtagging: true,
            enableCommandStats: true,
          },
          redis: [
            { match: { key: { prefix: 'user:' } }, route: { host: 'store-b' } },
            { match: { key: { prefix: 'tmp:', removePrefix: true } }, route: { host: 'store-b' } },
            { match: { key: { prefix: 'slow:' } }, route: { host: 'store-slow' } },
            {
              route: { host: 'store-a' },
              mirror: [{ route: { host: 'store-m' }, percentage: { value: 100 }, excludeReadCommands: true }],
            },
          ],
          faults: [
            { type: 'ERROR', percentage: { value: 100 }, commands: ['HLEN'] },
            { type: 'DELAY', percentage: { value: 100 }, delay: '300ms', commands: ['LLEN'] },
          ],
        }),
        secret({ name: 'front-auth', stringData: { password: `${FRONT_PASSWORD}\n` } }),
        redisDestination({
          name: 'store-b',
          host: 'store-b',
          auth: { plain: { password: UPSTREAM_PASSWORD } },
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      extraArgs: ['--access-log', join(config.path, 'access.log')],
      listeners: [
        { host: ADDRESS, port },
        { host: ADDRESS, port: victimPort },
      ],
    });
  },
  { timeout: 60_000 },
);

after(async () => {
  for (const c of clients) c.disconnect();
  await aeraki?.stop();
  await Promise.all([a, a2, b, mirror, victim].map(s => s?.stop()));
  silent?.close();
  await config?.remove();
});

describe('Redis proxy, PROXY mode', { timeout: 60_000 }, () => {
  test('ioredis with default options (HELLO 3 with AUTH) connects, and RESP3 replies come back as such', async () => {
    const c = await client();
    assert.equal(await c.set('plain', 'v1'), 'OK');
    assert.equal(await c.get('plain'), 'v1');
    await c.hset('h', 'f1', '1', 'f2', '2');
    assert.deepEqual(await c.hgetall('h'), { f1: '1', f2: '2' });
    // The catch-all route: the key is on one of store-a's two servers.
    const onA = await direct(a, 'GET', 'plain');
    const onA2 = await direct(a2, 'GET', 'plain');
    assert.deepEqual([onA, onA2].sort(), ['', 'v1']);
  });

  test('redis-cli (RESP2): AUTH is required, a wrong password is refused, the right one works', async () => {
    assert.equal(await redisCli(ADDRESS, port, ['GET', 'plain']), 'NOAUTH Authentication required.');
    // redis-cli reports the failed AUTH on stderr and sends the command anyway.
    assert.equal(await redisCli(ADDRESS, port, ['GET', 'plain'], 'nope'), 'NOAUTH Authentication required.');
    assert.equal(await redisCli(ADDRESS, port, ['AUTH', 'nope'], FRONT_PASSWORD), 'ERR invalid password');
    assert.equal(await redisCli(ADDRESS, port, ['GET', 'plain'], FRONT_PASSWORD), 'v1');
    assert.equal(
      await redisCli(ADDRESS, port, ['HELLO', '4'], FRONT_PASSWORD),
      'NOPROTO unsupported protocol version',
    );
  });

  test('prefix routes: the longest prefix wins, removePrefix strips it, the upstream gets its own password', async () => {
    const c = await client();
    await c.set('user:1', 'alice');
    await c.set('tmp:session', 'x');
    assert.equal(await direct(b, 'GET', 'user:1'), 'alice');
    assert.equal(await direct(b, 'GET', 'session'), 'x', 'tmp: was removed before forwarding');
    assert.equal(await direct(b, 'EXISTS', 'tmp:session'), '0');
    assert.equal(await c.get('tmp:session'), 'x');
    assert.equal(await direct(a, 'EXISTS', 'user:1'), '0');
  });

  test("multi-key commands are split per key and joined in the client's order", async () => {
    const c = await client();
    assert.equal(await c.mset('k1', 'v1', 'user:2', 'bob', 'tmp:t', 'tv', 'k2', 'v2'), 'OK');
    assert.deepEqual(await c.mget('k2', 'user:2', 'missing', 'tmp:t', 'k1'), ['v2', 'bob', null, 'tv', 'v1']);
    assert.equal(await direct(b, 'GET', 'user:2'), 'bob');
    assert.equal(await direct(b, 'GET', 't'), 'tv');
    assert.equal(await c.exists('k1', 'user:2', 'nope', 'k1'), 3);
    assert.equal(await c.del('k1', 'user:2', 'nope'), 2);
    assert.equal(await direct(b, 'EXISTS', 'user:2'), '0');
  });

  test('hash tags: keys with the same tag stay on one of the two servers', async () => {
    const c = await client();
    const keys = Array.from({ length: 24 }, (_, i) => `{cart42}.item${i}`);
    await c.mset(...keys.flatMap(k => [k, '1']));
    const onA = Number(await direct(a, 'EXISTS', ...keys));
    const onA2 = Number(await direct(a2, 'EXISTS', ...keys));
    assert.deepEqual(
      [onA, onA2].sort((x, y) => x - y),
      [0, 24],
    );
  });

  test('mirror: writes are copied to the mirror cluster, reads are not (excludeReadCommands)', async () => {
    const c = await client();
    await c.set('mirrored', 'yes');
    assert.equal(await c.strlen('mirrored'), 3);
    for (let i = 0; i < 50 && (await direct(mirror, 'GET', 'mirrored')) !== 'yes'; i++)
      await new Promise(r => setTimeout(r, 20));
    assert.equal(await direct(mirror, 'GET', 'mirrored'), 'yes');
    // Mirrors are sent with the command: had STRLEN been mirrored, it would have been counted by now.
    const stats = await direct(mirror, 'INFO', 'commandstats');
    assert.doesNotMatch(stats, /cmdstat_strlen/);
    assert.match(stats, /cmdstat_set:calls=[1-9]/);
  });

  test('faults: ERROR answers without going upstream; DELAY holds the reply', async () => {
    const c = await client();
    await assert.rejects(c.hlen('h'), /Fault Injected: Error/);
    const start = Date.now();
    assert.equal(await c.llen('nolist'), 0);
    assert.ok(Date.now() - start >= 290, `LLEN was delayed ${Date.now() - start} ms`);
  });

  test('commands the proxy cannot route get an error naming them; the connection stays usable', async () => {
    const c = await client();
    await assert.rejects(c.config('GET', 'save'), /unsupported command 'CONFIG'/);
    await assert.rejects(c.client('KILL', 'ID', '1'), /unsupported command 'CLIENT KILL'/);
    await assert.rejects(c.blpop('q', 1), /unsupported command 'BLPOP'.*blocking/);
    await assert.rejects(c.subscribe('ch'), /unsupported command 'SUBSCRIBE'/);
    await assert.rejects(c.call('NOSUCHCOMMAND', 'x'), /unsupported command 'NOSUCHCOMMAND'/);
    assert.equal(await c.ping(), 'PONG');
  });

  test('pipelines: replies come back in order across routes and local commands', async () => {
    const c = await client();
    const pipeline = c.pipeline();
    for (let i = 0; i < 300; i++) {
      pipeline.set(i % 3 === 0 ? `user:p${i}` : `p${i}`, String(i));
      pipeline.get(i % 3 === 0 ? `user:p${i}` : `p${i}`);
      pipeline.echo(`e${i}`);
    }
    const results = (await pipeline.exec())!;
    for (let i = 0; i < 300; i++) {
      assert.deepEqual(results[i * 3], [null, 'OK']);
      assert.deepEqual(results[i * 3 + 1], [null, String(i)]);
      assert.deepEqual(results[i * 3 + 2], [null, `e${i}`]);
    }
  });

  test('a client that sends and does not read: the proxy stops reading it, then serves every reply once it reads', async () => {
    const value = 'v'.repeat(16_384);
    const c = await client();
    await c.set('unread', value);
    /** GETs the servers have run (INFO commandstats, which the INFO itself does not change). */
    const processed = async (): Promise<number> => {
      let total = 0;
      for (const server of [a, a2]) {
        total += Number(/cmdstat_get:calls=(\d+)/.exec(await server.cli('INFO', 'commandstats'))?.[1] ?? 0);
      }
      return total;
    };
    const before = await processed();
    const socket = net.connect({ host: ADDRESS, port });
    await once(socket, 'connect');
    socket.pause(); // reads nothing: the kernel's buffers fill, then the proxy's
    const commands = 20_000;
    socket.write(`AUTH ${FRONT_PASSWORD}\r\n`);
    // A trickle of small pipelines, so that the commands unanswered never pile up to the point where
    // the proxy stops reading for them: only the replies the client leaves unread can stop it.
    const batch = '*2\r\n$3\r\nGET\r\n$6\r\nunread\r\n'.repeat(10);
    for (let sent = 0; sent < commands; sent += 10) {
      socket.write(batch);
      await new Promise(resolve => setTimeout(resolve, 1));
    }
    // Wait until the servers see no more GETs for a while.
    let seen = -1;
    for (let stable = 0; stable < 3;) {
      await new Promise(resolve => setTimeout(resolve, 300));
      const now = (await processed()) - before;
      stable = now === seen ? stable + 1 : 0;
      seen = now;
    }
    // The proxy reads while fewer than 4,096 commands are unanswered and less than 8 MiB of replies
    // wait for the client, checking after each chunk it reads (up to 64 KiB: 2,978 of these GETs);
    // the kernel's buffers toward the client hold more (at most tcp_wmem's 4 MiB and tcp_rmem's
    // 32 MiB here: 2,304 replies).
    const bound = 4096 + 2978 + (8 * 1024 * 1024) / value.length + 2304;
    assert.ok(seen < bound, `${seen} of ${commands} GETs reached the servers (bound ${bound})`);
    assert.ok(seen < commands, 'the proxy stopped reading');
    // Reading again: every reply comes, in full.
    const replySize = `$${value.length}\r\n`.length + value.length + 2;
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    const expected = '+OK\r\n'.length + commands * replySize;
    const deadline = Date.now() + 30_000;
    while (received < expected && Date.now() < deadline)
      await new Promise(resolve => setTimeout(resolve, 50));
    assert.equal(received, expected);
    assert.equal((await processed()) - before, commands);
    socket.destroy();
  });

  test('op timeout: a server that never answers gives an error within the bounds, not a hang', async () => {
    const c = await client();
    const start = Date.now();
    await assert.rejects(c.get('slow:1'), /upstream failure: no reply from .* within 500 ms/);
    const took = Date.now() - start;
    assert.ok(took >= OP_TIMEOUT_MS - 50 && took < 5000, `took ${took} ms`);
    assert.equal(await c.get('plain'), 'v1', 'other routes are unaffected');
  });

  test('bytes that are not RESP get the protocol error and a close; other connections go on', async () => {
    const other = await client();
    const socket = net.connect({ host: ADDRESS, port });
    socket.write(`AUTH ${FRONT_PASSWORD}\r\n*1\r\n!4\r\nPING\r\n`);
    let received = '';
    socket.setEncoding('utf8').on('data', (s: string) => (received += s));
    await once(socket, 'close');
    assert.equal(received, "+OK\r\n-ERR Protocol error: expected '$', got '!'\r\n");
    assert.equal(await other.get('plain'), 'v1');
  });

  test('a server killed: commands get errors at once, never hang; the listener keeps serving', async () => {
    const c = await client({ port: victimPort, password: '' });
    await c.set('v', '1');
    await victim.kill();
    const start = Date.now();
    await assert.rejects(c.get('v'), /upstream failure/);
    await assert.rejects(c.get('v'), /upstream failure/);
    assert.ok(Date.now() - start < 5000, `errors took ${Date.now() - start} ms`);
    assert.equal(await c.ping(), 'PONG');
  });

  test('aeraki explain tells the route, the key forwarded and the server of a key', async () => {
    const admin = aeraki.logs.find(l => l.msg === 'ready')?.['admin'] as string;
    const host = 'front.redis.svc.cluster.local';
    const text = await runAeraki(['explain', host, '--key', 'user:9', '--command', 'SET', '--admin', admin]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /matches +prefix 'user:'/);
    assert.match(text.stdout, new RegExp(`server +${b.host}:${b.port}`));
    const json = await runAeraki(['explain', host, '--key', 'tmp:x', '--json', '--admin', admin]);
    const report = JSON.parse(json.stdout) as { forwardedKey: string; route: { removePrefix: boolean } };
    assert.equal(report.forwardedKey, 'x');
    assert.equal(report.route.removePrefix, true);
    const faults = await runAeraki(['explain', host, '--key', 'k', '--command', 'hlen', '--admin', admin]);
    assert.match(faults.stdout, /fault +ERROR for 100% of HLEN/);
    assert.match(faults.stdout, /mirrors +not to .*store-m.* \(reads are excluded\)/);
  });

  test('aeraki tap streams the commands of a Redis service; the access log has a line per command', async () => {
    const admin = aeraki.logs.find(l => l.msg === 'ready')?.['admin'] as string;
    const c = await client();
    const tap = runAeraki([
      'tap',
      'front.redis.svc.cluster.local',
      '--attr',
      'command=set',
      '--count',
      '2',
      '--json',
      '--admin',
      admin,
    ]);
    let tapDone = false;
    void tap.then(() => (tapDone = true));
    // Commands until the tap has seen two SETs (it attaches in a moment).
    for (let i = 0; i < 200 && !tapDone; i++) {
      await c.set(`tapped:${i}`, 'x');
      await c.get(`tapped:${i}`);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    const records = (await tap).stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as { command: string; key: string; status: string });
    assert.equal(records.length, 2);
    for (const r of records) {
      assert.equal(r.command, 'set');
      assert.match(r.key, /^tapped:/);
      assert.equal(r.status, 'ok');
    }
    await assert.rejects(c.hlen('h'));
    type Line = { protocol: string; command: string; status: string; error?: string; fault?: string };
    let lines: Line[] = [];
    for (let i = 0; i < 50; i++) {
      const text = await readFile(join(config.path, 'access.log'), 'utf8').catch(() => '');
      lines = text
        .split('\n')
        .filter(l => l.includes('"protocol":"redis"'))
        .map(l => JSON.parse(l) as Line);
      if (lines.some(l => l.command === 'hlen')) break;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    assert.ok(lines.some(l => l.command === 'set' && l.status === 'ok'));
    const faulted = lines.find(l => l.command === 'hlen');
    assert.equal(faulted?.status, 'error');
    assert.equal(faulted?.fault, 'error');
    assert.equal(faulted?.error, 'ERR Fault Injected: Error');
    assert.ok(!lines.some(l => JSON.stringify(l).includes(FRONT_PASSWORD)), 'no password in the log');
  });

  test("the admin API shows the listener, its command stats and the cluster's", async () => {
    const admin = aeraki.logs.find(l => l.msg === 'ready')?.['admin'] as string;
    const listeners = (await (await fetch(`http://${admin}/listeners`)).json()) as {
      name: string;
      protocol: string;
    }[];
    assert.ok(listeners.some(l => l.name === `${ADDRESS}_${port}` && l.protocol === 'redis'));
    const dump = await (await fetch(`http://${admin}/config_dump`)).text();
    assert.ok(!dump.includes(UPSTREAM_PASSWORD) && !dump.includes(FRONT_PASSWORD), 'passwords are redacted');
    const stats = await (await fetch(`http://${admin}/stats/prometheus`)).text();
    assert.match(stats, /envoy_redis_command_total\{[^}]*command="get"[^}]*\} [1-9]/);
    assert.match(stats, /envoy_redis_command_error_fault\{[^}]*command="hlen"[^}]*\} [1-9]/);
    assert.match(stats, /envoy_cluster_upstream_commands_total\{[^}]*command="set"[^}]*\} [1-9]/);
  });
});
