/**
 * A codec plugin written to a folder outside the checkout (it imports nothing but `aeraki/codec`),
 * loaded by `aeraki up --plugin`, serving real traffic: routing on its metadata, a request mutation
 * written by the codec, two clients using the same request ids at once with replies out of order,
 * local replies (no route, a dead upstream), and a plugin bug in decode that costs only its own
 * connection. Then plugins that fail to load, have the wrong shape or take a taken name: aeraki says
 * which and why, and does not start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  applicationProtocol,
  createConfigDir,
  destination,
  destinationRule,
  ERROR_REPLY,
  exactMatch,
  freePort,
  listenerStats,
  metaRouter,
  REPLY,
  runAeraki,
  startAeraki,
  staticServiceEntry,
  testAddress,
  TinyClient,
  TinyServer,
  TINY_RPC_PLUGIN,
  type AerakiProcess,
  type ConfigDir,
  type TinyEcho,
  type TinyFrame,
} from './harness/index.js';

const ADDRESS = testAddress(70);
const HOST = 'tiny.demo.svc.cluster.local';
const CODEC = 'aeraki.meta_protocol.codec.tinyrpc';
const outside = mkdtempSync(join(tmpdir(), 'aeraki-plugin-e2e-'));
after(() => rmSync(outside, { recursive: true, force: true }));

function pluginFile(name: string, source: string): string {
  const path = join(outside, name);
  writeFileSync(path, source);
  return path;
}

function echoOf(frame: TinyFrame): TinyEcho {
  assert.equal(frame.kind, REPLY, `a reply, got kind ${frame.kind}: ${frame.payload}`);
  return JSON.parse(frame.payload) as TinyEcho;
}

describe('a plugin from outside the checkout serves real traffic', () => {
  const v1 = new TinyServer('v1');
  const v2 = new TinyServer('v2');
  let config: ConfigDir;
  let aeraki: AerakiProcess;
  let port: number;

  before(async () => {
    const [p1, p2, dead] = [await v1.start(), await v2.start(), await freePort()];
    port = await freePort(ADDRESS);
    const portName = 'tcp-metaprotocol-tinyrpc-demo';
    config = await createConfigDir({
      'tiny.yaml': [
        applicationProtocol('tinyrpc', CODEC),
        staticServiceEntry(
          {
            name: 'tiny',
            host: HOST,
            addresses: [ADDRESS],
            port,
            endpoints: [
              { address: '127.0.0.1', port: p1, labels: { version: 'v1' } },
              { address: '127.0.0.1', port: p2, labels: { version: 'v2' } },
              { address: '127.0.0.1', port: dead, labels: { version: 'dead' } },
            ],
          },
          portName,
        ),
        destinationRule({
          name: 'tiny',
          host: HOST,
          subsets: { v1: { version: 'v1' }, v2: { version: 'v2' }, dead: { version: 'dead' } },
        }),
        metaRouter({
          name: 'tiny',
          host: HOST,
          routes: [
            {
              name: 'hello-to-v2',
              match: exactMatch({ method: 'sayHello' }),
              route: [destination(HOST, 'v2')],
              requestMutation: [{ key: 'x-tenant', value: 'acme' }],
            },
            { name: 'to-dead', match: exactMatch({ method: 'toDead' }), route: [destination(HOST, 'dead')] },
            {
              name: 'echo-to-v1',
              match: { attributes: { method: { prefix: 'echo' } } },
              route: [destination(HOST, 'v1')],
            },
          ],
        }),
      ],
    });
    const plugin = pluginFile('tinyrpc-plugin.mjs', TINY_RPC_PLUGIN);
    aeraki = await startAeraki(config.path, {
      extraArgs: ['--plugin', plugin],
      listeners: [{ host: ADDRESS, port }],
    });
  });

  after(async () => {
    await aeraki?.stop();
    await config?.remove();
    await v1.stop();
    await v2.stop();
  });

  test('it says which plugin it loaded and what it registered', () => {
    const loaded = aeraki.logs.find(l => l.msg === 'plugin loaded');
    assert.deepEqual(loaded?.['codecs'], [CODEC]);
    assert.equal(loaded?.['path'], join(outside, 'tinyrpc-plugin.mjs'));
  });

  test("routes on the plugin's metadata, and the codec writes the route's request mutation", async () => {
    const client = await TinyClient.connect(ADDRESS, port);
    try {
      const hello = echoOf(await client.call(1, 'sayHello', 'world', { trace: 't1' }));
      assert.equal(hello.server, 'v2');
      assert.deepEqual(hello.headers, { trace: 't1', 'x-tenant': 'acme' });
      const echo = echoOf(await client.call(2, 'echoTwice', 'x'));
      assert.equal(echo.server, 'v1');
      assert.deepEqual(echo.headers, {}, 'no mutation on this route');
    } finally {
      client.close();
    }
  });

  test('two clients use the same request ids at once; replies come back out of order, each to its caller', async () => {
    const [a, b] = [await TinyClient.connect(ADDRESS, port), await TinyClient.connect(ADDRESS, port)];
    try {
      const calls = await Promise.all([
        a.call(1, 'echoA', 'slow:150'),
        a.call(2, 'echoA', 'fast-a'),
        b.call(1, 'echoB', 'fast-b'),
        b.call(2, 'echoB', 'slow:100'),
      ]);
      const echoes = calls.map(echoOf);
      assert.deepEqual(
        echoes.map(e => [e.method, e.payload]),
        [
          ['echoA', 'slow:150'],
          ['echoA', 'fast-a'],
          ['echoB', 'fast-b'],
          ['echoB', 'slow:100'],
        ],
      );
      assert.deepEqual(
        calls.map(c => c.id),
        [1, 2, 1, 2],
        "each reply carries its caller's own id",
      );
      assert.deepEqual(a.arrivals, [2, 1], 'the fast reply overtook the slow one');
      assert.deepEqual(b.arrivals, [1, 2]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("local replies in the plugin's own terms: no route, and a dead upstream", async () => {
    const client = await TinyClient.connect(ADDRESS, port);
    try {
      const noRoute = await client.call(5, 'unknownMethod');
      assert.equal(noRoute.kind, ERROR_REPLY);
      assert.equal(noRoute.id, 5);
      assert.match(noRoute.payload, /^no-route: /);
      const dead = await client.call(6, 'toDead');
      assert.equal(dead.kind, ERROR_REPLY);
      assert.equal(dead.id, 6);
      assert.match(dead.payload, /^(connect-failure|no-healthy-upstream): /);
      assert.equal(echoOf(await client.call(7, 'echo')).server, 'v1', 'the connection still serves');
    } finally {
      client.close();
    }
  });

  test('a plugin that throws a TypeError in decode closes only that connection', async () => {
    const [victim, bystander] = [
      await TinyClient.connect(ADDRESS, port),
      await TinyClient.connect(ADDRESS, port),
    ];
    try {
      const pending = bystander.call(1, 'echo', 'slow:200');
      const crash = victim.call(1, 'crash');
      await victim.closed;
      const reply = await Promise.race([
        crash,
        new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), 100)),
      ]);
      assert.ok(
        reply === undefined || reply.kind === ERROR_REPLY,
        'nothing, or an error reply, before the close',
      );
      assert.equal(echoOf(await pending).server, 'v1', "the other connection's call in flight completes");
      assert.equal(echoOf(await bystander.call(2, 'echo')).server, 'v1', 'and it goes on');
      assert.equal(aeraki.exit, undefined, 'aeraki runs on');
      assert.ok(
        aeraki.logs.some(l => l.msg === 'codec threw a non-codec error'),
        'the contract break is logged as such',
      );
      const stats = await listenerStats(aeraki, ADDRESS, port);
      assert.ok(Number(stats['requestDecodingError'] ?? 0) >= 1, JSON.stringify(stats));
    } finally {
      victim.close();
      bystander.close();
    }
  });
});

describe('a broken plugin stops aeraki with a clear error', () => {
  let config: ConfigDir;
  before(async () => {
    config = await createConfigDir({ 'empty.yaml': '' });
  });
  after(async () => {
    await config.remove();
  });

  const broken: [string, string | undefined, RegExp][] = [
    [
      'missing.mjs',
      undefined,
      /plugin '.*missing\.mjs': .*missing\.mjs does not exist \[AERAKI_ERR_PLUGIN_LOAD_FAILED\]/,
    ],
    [
      'syntax.mjs',
      'export default { codecs: [ };',
      /plugin '.*syntax\.mjs': cannot be imported: .*Unexpected token.* \[AERAKI_ERR_PLUGIN_LOAD_FAILED\]/,
    ],
    [
      'shape.mjs',
      'export default [];',
      /plugin '.*shape\.mjs': its default export must be an object \{ sdkVersion\?, codecs\?, filters\? \}, got an array \[AERAKI_ERR_PLUGIN_INVALID\]/,
    ],
    [
      'taken.mjs',
      TINY_RPC_PLUGIN.replace("'aeraki.meta_protocol.codec.tinyrpc'", "'aeraki.meta_protocol.codec.thrift'"),
      /plugin '.*taken\.mjs': codecs\[0\]\.name: codec 'aeraki\.meta_protocol\.codec\.thrift' is already registered \(built in\) \[AERAKI_ERR_PLUGIN_INVALID\]/,
    ],
  ];
  for (const [name, source, pattern] of broken) {
    test(`${name}: aeraki up exits 1 naming the plugin and the cause`, async () => {
      const path = source === undefined ? join(outside, name) : pluginFile(name, source);
      const result = await runAeraki([
        'up',
        config.path,
        '--admin',
        '127.0.0.1:0',
        '--control-plane-admin',
        '127.0.0.1:0',
        '--plugin',
        path,
      ]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stderr, pattern);
    });
  }

  test('aeraki proxy too', async () => {
    const path = pluginFile('proxy-shape.mjs', 'export default { codecs: [{}] };');
    const result = await runAeraki([
      'proxy',
      '--xds',
      '127.0.0.1:1',
      '--admin',
      '127.0.0.1:0',
      '--plugin',
      path,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /codecs\[0\]\.name must be a string \[AERAKI_ERR_PLUGIN_INVALID\]/);
  });
});
