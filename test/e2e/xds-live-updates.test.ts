/**
 * Route changes through the xDS path under continuous load from real Apache Thrift clients: a
 * MetaRouter flipped every 100 ms, the control plane killed and restarted, a bad YAML edit. None may
 * fail a request or close a client connection.
 *
 * The restart keeps the control plane away for 5 s, and the proxy must have resynced within 3 s of
 * the new one accepting connections. The 60 s outage is proven in test/unit/xds/ads-client-reconnect
 * rather than waited for here: after any outage long enough for the backoff to reach its cap (about
 * 4 s with the defaults, so 5 s already does) the client's state no longer depends on how long the
 * outage lasted, since each attempt has a channel of its own and grpc-js keeps nothing between them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectHello,
  createConfigDir,
  destination,
  freePort,
  metaRouter,
  startAeraki,
  startVersionedHelloServers,
  startAerakiCommand,
  runAeraki,
  testAddress,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type ConfigDir,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(6);
const HOST = 'live.e2e.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const CLIENTS = 4;

let v1: HelloServer | undefined;
let v2: HelloServer | undefined;
let port = 0;
let config: ConfigDir | undefined;

function routeTo(subset: string) {
  return [
    metaRouter({ name: 'live', host: HOST, routes: [{ name: subset, route: [destination(HOST, subset)] }] }),
  ];
}

/** Closed-loop load: each connection calls whoami back to back until stopped. */
class Load {
  readonly seen = new Map<string, number>();
  failures: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(private readonly connections: HelloConnection[]) {
    this.loops = connections.map(c => this.loop(c));
  }

  get total(): number {
    let n = 0;
    for (const v of this.seen.values()) n += v;
    return n;
  }

  get closedConnections(): number {
    return this.connections.filter(c => c.isClosed).length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(connection: HelloConnection): Promise<void> {
    while (this.running) {
      try {
        const tag = await connection.client.whoami();
        this.seen.set(tag, (this.seen.get(tag) ?? 0) + 1);
      } catch (err) {
        this.failures.push(err instanceof Error ? err.message : String(err));
        if (connection.isClosed) return;
      }
    }
  }
}

async function startLoad(): Promise<Load> {
  const connections = await Promise.all(
    Array.from({ length: CLIENTS }, () => connectHello(ADDRESS, port, { stack: STACK })),
  );
  return new Load(connections);
}

before(
  async () => {
    [v1, v2] = await startVersionedHelloServers(STACK);
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'service.yaml': [
        ...versionedThriftService({ name: 'live', host: HOST, address: ADDRESS, port, v1: v1!, v2: v2! }),
      ],
      'router.yaml': routeTo('v1'),
    });
  },
  { timeout: 30000 },
);

after(
  async () => {
    await Promise.all([v1?.close(), v2?.close()]);
    await config?.remove();
  },
  { timeout: 15000 },
);

test(
  'a MetaRouter flipped every 100 ms for 10 s fails no request and closes no connection',
  { timeout: 40000 },
  async () => {
    const aeraki = await startAeraki(config!.path, { listeners: [{ host: ADDRESS, port }] });
    try {
      const load = await startLoad();
      const until = Date.now() + 10_000;
      let flips = 0;
      while (Date.now() < until) {
        await config!.write('router.yaml', routeTo(flips++ % 2 === 0 ? 'v2' : 'v1'));
        await sleep(100);
      }
      await load.stop();
      assert.deepEqual(load.failures, []);
      assert.equal(load.closedConnections, 0);
      assert.ok((load.seen.get(versionTag('v1')) ?? 0) > 0, 'v1 answered');
      assert.ok((load.seen.get(versionTag('v2')) ?? 0) > 0, 'v2 answered');
      assert.ok(load.total > 200, `only ${load.total} calls`);
      const applied = aeraki.logs.filter(l => l.msg === 'config published').length;
      assert.ok(applied >= 10, `the control plane published ${applied} changes in 10 s`);
    } finally {
      await aeraki.stop();
    }
  },
);

test('a bad YAML edit under load fails no request and is reported clearly', { timeout: 30000 }, async () => {
  await config!.write('router.yaml', routeTo('v1'));
  const aeraki = await startAeraki(config!.path, { listeners: [{ host: ADDRESS, port }] });
  try {
    const load = await startLoad();
    await sleep(300);
    const broken = routeTo('v2');
    (broken[0]!.spec as { routes: Array<{ route: unknown[] }> }).routes[0]!.route = [
      destination(HOST, 'v1', 30),
      destination(HOST, 'v2', 30),
    ];
    await config!.write('router.yaml', broken);
    const deadline = Date.now() + 5000;
    while (
      !aeraki.logs.some(
        l => String(l.msg).includes('router.yaml') && String(l.msg).includes('weights-sum-100'),
      )
    ) {
      if (Date.now() > deadline) throw new Error(`no error names router.yaml\n${aeraki.outputTail()}`);
      await sleep(50);
    }
    await sleep(300);
    await load.stop();
    assert.deepEqual(load.failures, []);
    assert.equal(load.closedConnections, 0);
    assert.deepEqual([...load.seen.keys()], [versionTag('v1')], 'the last good config kept serving');
  } finally {
    await aeraki.stop();
  }
});

for (const api of ['delta', 'sotw']) {
  test(
    `the control plane killed for 5 s under load (${api} xDS): no request fails, the proxy resyncs within 3 s`,
    { timeout: 60000 },
    async t => {
      await config!.write('router.yaml', routeTo('v1'));
      const xdsPort = await freePort('127.0.0.1');
      const controlPlaneArgs = [
        'control-plane',
        '--config-dir',
        config!.path,
        '--listen',
        `127.0.0.1:${xdsPort}`,
        '--admin',
        '127.0.0.1:0',
      ];
      let controlPlane: AerakiProcess | undefined = await startAerakiCommand(controlPlaneArgs, 'ready');
      const proxy = await startAerakiCommand(
        [
          'proxy',
          '--xds',
          `127.0.0.1:${xdsPort}`,
          '--xds-api',
          api,
          '--node-id',
          `e2e-proxy-${api}`,
          '--admin',
          '127.0.0.1:0',
        ],
        'proxy started; waiting for config',
        { listeners: [{ host: ADDRESS, port }] },
      );
      const started = proxy.logs.find(l => l.msg === 'proxy started; waiting for config')!;
      const proxyAdmin = `127.0.0.1:${String(started['admin'])}`;
      const xdsStatus = async () =>
        (await (await fetch(`http://${proxyAdmin}/xds`)).json()) as {
          state: string;
          sinceMs: number;
          reconnects: number;
          lastError?: { message: string };
          retryAt?: string;
        };
      try {
        const load = await startLoad();
        await sleep(300);
        assert.equal((await xdsStatus()).state, 'connected');
        await controlPlane.stop(0);
        await sleep(5000);
        const during = load.total;
        // While the control plane is away, the proxy says so, and why.
        const away = await runAeraki(['status', '--proxy', proxyAdmin, '--json']);
        const awayStatus = JSON.parse(away.stdout) as Awaited<ReturnType<typeof xdsStatus>>;
        assert.notEqual(awayStatus.state, 'connected', away.stdout);
        assert.ok(awayStatus.reconnects >= 2, away.stdout);
        assert.match(awayStatus.lastError?.message ?? '', /UNAVAILABLE/, away.stdout);
        const table = await runAeraki(['status', '--proxy', proxyAdmin]);
        assert.match(
          table.stdout,
          /^xDS 127\.0\.0\.1:\d+: (BACKING OFF until \S+|CONNECTING) for /m,
          table.stdout,
        );
        controlPlane = await startAerakiCommand(controlPlaneArgs, 'ready', { readyTimeoutMs: 20000 });
        // The control plane accepts connections from (at the latest) its ready line.
        const back = Date.now();
        const cpReady = controlPlane.logs.find(l => l.msg === 'ready')!;
        const nodeStatus = async () => {
          const status = (await (await fetch(`http://${String(cpReady['admin'])}/status`)).json()) as {
            nodes: Array<{ nodeId: string; types: Array<{ state: string }> }>;
          };
          return status.nodes.find(n => n.nodeId === `e2e-proxy-${api}`);
        };
        for (;;) {
          const node = await nodeStatus();
          if (node !== undefined && node.types.length === 4 && node.types.every(t => t.state === 'acked'))
            break;
          if (Date.now() - back > 10_000) throw new Error(`no resync\n${proxy.outputTail()}`);
          await sleep(25);
        }
        const resyncMs = Date.now() - back;
        assert.ok(resyncMs < 3000, `resynced ${resyncMs} ms after the control plane was back`);
        t.diagnostic(`resynced ${resyncMs} ms after the control plane was back`);
        assert.equal((await xdsStatus()).state, 'connected');
        assert.ok(
          !controlPlane.logs.some(l => String(l.msg).includes('plaintext')),
          'no plaintext warning on loopback',
        );
        await config!.write('router.yaml', routeTo('v2'));
        const deadline = Date.now() + 5000;
        while ((load.seen.get(versionTag('v2')) ?? 0) === 0) {
          if (Date.now() > deadline)
            throw new Error(`no call reached v2 after the restart\n${proxy.outputTail()}`);
          await sleep(50);
        }
        await load.stop();
        // The restarted control plane lists the proxy, with every resource type ACKed.
        const ready = controlPlane.logs.find(l => l.msg === 'ready')!;
        const status = (await (await fetch(`http://${String(ready['admin'])}/status`)).json()) as {
          nodes: Array<{ nodeId: string; types: Array<{ state: string }> }>;
        };
        const node = status.nodes.find(n => n.nodeId === `e2e-proxy-${api}`);
        assert.ok(node !== undefined, 'the proxy is listed');
        assert.ok(
          node.types.every(t => t.state === 'acked'),
          JSON.stringify(node.types),
        );
        assert.ok(during > 0, 'calls went on while the control plane was down');
        assert.deepEqual(load.failures, []);
        assert.equal(load.closedConnections, 0);
        assert.equal(proxy.exit, undefined, 'the proxy kept running');
      } finally {
        await proxy.stop();
        await controlPlane?.stop();
      }
    },
  );
}
