/**
 * One listener the proxy cannot run never freezes the others, through `aeraki up` with real Apache
 * Thrift servers and clients: a service whose ApplicationProtocol names a codec this aeraki lacks, and
 * a service whose address another process holds. The Thrift service beside them is served and takes
 * route edits; `aeraki validate`, the control plane's log, `aeraki status` (both views), the admin
 * API and the metrics name the rejected listener and its reason; a freed address is bound.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminAddress,
  proxyStatus,
  canConnect,
  connectHello,
  createConfigDir,
  destination,
  freePort,
  metaRouter,
  runAeraki,
  squat,
  startAeraki,
  startVersionedHelloServers,
  staticServiceEntry,
  testAddress,
  untilListenerBound,
  versionTag,
  versionedThriftService,
  type ConfigDir,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const THRIFT = testAddress(60, 1);
const ACME = testAddress(60, 2);
const BUSY = testAddress(60, 3);
const HOST = 'good.e2e.svc.cluster.local';
const ACME_HOST = 'acme.e2e.svc.cluster.local';
const BUSY_HOST = 'busy.e2e.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };

let v1: HelloServer | undefined;
let v2: HelloServer | undefined;

before(async () => {
  [v1, v2] = await startVersionedHelloServers(STACK);
});

after(async () => {
  await Promise.all([v1?.close(), v2?.close()]);
});

function routeTo(host: string, subset: string) {
  return [
    metaRouter({
      name: host.split('.')[0]!,
      host,
      routes: [{ name: subset, route: [destination(host, subset)] }],
    }),
  ];
}

async function whoami(host: string, port: number): Promise<string> {
  const hello = await connectHello(host, port, { stack: STACK });
  try {
    return await hello.client.whoami();
  } finally {
    await hello.close();
  }
}

test(
  'an unknown codec beside a Thrift service: the Thrift service is served and edited, the other is named',
  { timeout: 60000 },
  async t => {
    const port = await freePort(THRIFT);
    const acmePort = await freePort(ACME);
    const acmeListener = `${ACME}_${acmePort}`;
    const config: ConfigDir = await createConfigDir({
      'good.yaml': [
        ...versionedThriftService({ name: 'good', host: HOST, address: THRIFT, port, v1: v1!, v2: v2! }),
      ],
      'router.yaml': routeTo(HOST, 'v1'),
      'acme.yaml': [
        {
          apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
          kind: 'ApplicationProtocol',
          metadata: { name: 'acme' },
          spec: { protocol: 'acme', codec: 'aeraki.meta_protocol.codec.acme' },
        },
        staticServiceEntry(
          {
            name: 'acme',
            host: ACME_HOST,
            addresses: [ACME],
            port: acmePort,
            endpoints: [{ address: v1!.host, port: v1!.port, labels: {} }],
          },
          'tcp-metaprotocol-acme-api',
        ),
      ],
    });
    try {
      // aeraki validate: ok (a proxy with a plugin could serve it), with a warning naming the field.
      const validated = await runAeraki(['validate', config.path]);
      assert.equal(validated.code, 0, validated.stdout + validated.stderr);
      assert.match(
        validated.stdout,
        /acme\.yaml:\d+:\d+: warning: codec 'aeraki\.meta_protocol\.codec\.acme' is not known here .*\(ApplicationProtocol acme, document 1, field spec\.codec, rule codec-unknown\)/,
      );
      assert.match(validated.stdout, /ok, \d+ objects valid, 1 warning/);

      const aeraki = await startAeraki(config.path, { listeners: [{ host: THRIFT, port }] });
      try {
        const ready = aeraki.logs.find(l => l.msg === 'ready')!;
        assert.deepEqual(ready['rejectedListeners'], [
          `${acmeListener}: no codec named 'aeraki.meta_protocol.codec.acme' (known: aeraki.meta_protocol.codec.dubbo, aeraki.meta_protocol.codec.thrift, aeraki.meta_protocol.codec.declarative)`,
        ]);
        assert.ok(
          aeraki.logs.some(l => (l['issue'] as { rule?: string } | undefined)?.rule === 'codec-unknown'),
          'the control plane warns',
        );
        assert.equal(await whoami(THRIFT, port), versionTag('v1'));

        // A route edit to the Thrift service takes effect within 1 s.
        const edited = Date.now();
        await config.write('router.yaml', routeTo(HOST, 'v2'));
        let latency = 0;
        for (;;) {
          if ((await whoami(THRIFT, port)) === versionTag('v2')) {
            latency = Date.now() - edited;
            break;
          }
          if (Date.now() - edited > 5000)
            throw new Error(`the edit did not take effect\n${aeraki.outputTail()}`);
          await sleep(20);
        }
        t.diagnostic(`the route edit took effect after ${latency} ms`);
        assert.ok(latency < 1000, `the route edit took ${latency} ms`);

        // The proxy's own view names the rejected listener and why; nothing listens there.
        const admin = adminAddress(aeraki);
        const view = await proxyStatus(admin);
        assert.deepEqual(
          view.rejectedListeners.map(r => [r.name, r.code, r.serving]),
          [[acmeListener, 'AERAKI_ERR_CODEC_UNKNOWN', 'none']],
        );
        const table = await runAeraki(['status', '--proxy', admin]);
        assert.match(
          table.stdout,
          new RegExp(
            `^${acmeListener.replace(/\./g, '\\.')}\\s+${ACME.replace(/\./g, '\\.')}:${acmePort}\\s+nothing\\s+AERAKI_ERR_CODEC_UNKNOWN\\s+no codec named 'aeraki\\.meta_protocol\\.codec\\.acme'`,
            'm',
          ),
          table.stdout,
        );
        assert.equal(await canConnect(ACME, acmePort), false);
        // The control plane's view: the NACK of the update that brought it names it (later updates
        // that apply whole are ACKed; the proxy's view above is the one that says what runs now).
        const cpStatus = await runAeraki([
          'status',
          '--control-plane',
          adminAddress(aeraki, 'controlPlaneAdmin'),
        ]);
        assert.match(
          cpStatus.stdout,
          new RegExp(
            `error adding/updating listener\\(s\\) ${acmeListener.replace(/\./g, '\\.')}: no codec named`,
          ),
          cpStatus.stdout,
        );
        // The admin API and the metrics.
        const listeners = (await (await fetch(`http://${admin}/listeners`)).json()) as Array<{
          name: string;
          bound: boolean;
          rejected?: { code: string };
        }>;
        assert.deepEqual(
          listeners.map(l => [l.name, l.bound, l.rejected?.code]).sort(),
          [
            [`${THRIFT}_${port}`, true, undefined],
            [acmeListener, false, 'AERAKI_ERR_CODEC_UNKNOWN'],
          ].sort(),
        );
        const metrics = await (await fetch(`http://${admin}/stats/prometheus`)).text();
        assert.match(
          metrics,
          new RegExp(
            `aeraki_listener_rejected\\{listener="${acmeListener}",code="AERAKI_ERR_CODEC_UNKNOWN"\\} 1`,
          ),
        );
        assert.match(metrics, /envoy_listener_manager_listener_create_failure [1-9]/);
      } finally {
        await aeraki.stop();
      }
    } finally {
      await config.remove();
    }
  },
);

test(
  'an address held by another process rejects that listener alone; once freed, it binds',
  { timeout: 60000 },
  async () => {
    const port = await freePort(THRIFT);
    const busyPort = await freePort(BUSY);
    const busyListener = `${BUSY}_${busyPort}`;
    const squatter = await squat(BUSY, busyPort);
    const config = await createConfigDir({
      'good.yaml': [
        ...versionedThriftService({ name: 'good', host: HOST, address: THRIFT, port, v1: v1!, v2: v2! }),
      ],
      'busy.yaml': [
        ...versionedThriftService({
          name: 'busy',
          host: BUSY_HOST,
          address: BUSY,
          port: busyPort,
          v1: v1!,
          v2: v2!,
        }),
      ],
      'router.yaml': [...routeTo(HOST, 'v1'), ...routeTo(BUSY_HOST, 'v2')],
    });
    try {
      // Two workers (the default on this 2-core machine, said here so that it holds anywhere): each
      // retries the bind, and once the address is free both serve it and the proxy names it no more.
      const aeraki = await startAeraki(config.path, {
        listeners: [{ host: THRIFT, port }],
        extraArgs: ['--workers', '2'],
      });
      try {
        assert.equal(await whoami(THRIFT, port), versionTag('v1'));
        const admin = adminAddress(aeraki);
        const view = await proxyStatus(admin);
        assert.deepEqual(
          view.rejectedListeners.map(r => [r.name, r.code, r.serving]),
          [[busyListener, 'AERAKI_ERR_LISTEN_FAILED', 'none']],
        );
        assert.match(view.rejectedListeners[0]!.reason, /EADDRINUSE/);

        squatter.kill();
        await untilListenerBound(aeraki, BUSY, busyPort);
        // Both workers serve it: fresh connections are dealt to them in turn.
        for (let i = 0; i < 4; i++) assert.equal(await whoami(BUSY, busyPort), versionTag('v2'));
        const workers = (await (await fetch(`http://${admin}/workers`)).json()) as { adminPort: number }[];
        for (const w of workers) {
          const own = (await (await fetch(`http://127.0.0.1:${w.adminPort}/listeners`)).json()) as {
            name: string;
            bound: boolean;
            stats: { cxTotal: number };
          }[];
          const busy = own.find(l => l.name === busyListener);
          assert.equal(busy?.bound, true, `worker on ${w.adminPort} serves ${busyListener}`);
          assert.ok((busy?.stats.cxTotal ?? 0) >= 1, `worker on ${w.adminPort} took connections`);
        }
        assert.equal(await whoami(THRIFT, port), versionTag('v1'));
        assert.ok(aeraki.hasLog('listener bound: its address is free now'));
      } finally {
        await aeraki.stop();
      }
    } finally {
      squatter.kill();
      await config.remove();
    }
  },
);
