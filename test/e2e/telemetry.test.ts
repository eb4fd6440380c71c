/**
 * Istio request metrics and the access log of `aeraki up`, after a known number of real Apache
 * Thrift and dubbo2.js calls: successes, a connect failure, and a request no route matches (the
 * original logs neither of the last two).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './harness/repo-root.js';
import { setTimeout as sleep } from 'node:timers/promises';
import java from 'js-to-java';
import {
  adminAddress,
  connectHello,
  createConfigDir,
  destination,
  destinationRule,
  exactMatch,
  freePort,
  metaRouter,
  parseExposition,
  pick,
  startAeraki,
  startHelloServer,
  testAddress,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type HelloServer,
  type PrometheusSample as Sample,
  type ThriftStack,
} from './harness/index.js';
import { dubboServiceEntry } from './dubbo/dubbo-mesh.js';
import { Dubbo2jsClient } from './dubbo/dubbo2js-client.js';
import { attachmentsMap, requestFrame } from './dubbo/dubbo-wire.js';
import { RawDubboConnection } from './dubbo/raw-dubbo-client.js';
import { startProvider, type HessianProvider } from './dubbo/hessian-provider.js';

const ADDRESS = testAddress(51);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const THRIFT_HOST = 'hello.telemetry.svc.cluster.local';
const DUBBO_HOST = 'demo.telemetry.svc.cluster.local';
const DEMO = 'org.apache.dubbo.demo.DemoService';

let thriftServer: HelloServer | undefined;
let provider: HessianProvider | undefined;
let deadPort = 0;
let thriftPort = 0;
let dubboPort = 0;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
let logDir = '';
let admin = '';

function withLocalRateLimit(router: ConfigDocument, localRateLimit: ConfigDocument): ConfigDocument {
  return { ...router, spec: { ...(router['spec'] as ConfigDocument), localRateLimit } };
}

before(
  async () => {
    thriftServer = await startHelloServer({ tag: versionTag('v1'), stack: STACK });
    provider = await startProvider({ tag: 'v1' });
    // Nothing listens here: requests routed to it fail to connect.
    deadPort = await freePort();
    thriftPort = await freePort(ADDRESS);
    dubboPort = await freePort(ADDRESS);
    config = await createConfigDir({
      'telemetry.yaml': [
        thriftServiceEntry({
          name: 'hello',
          host: THRIFT_HOST,
          addresses: [ADDRESS],
          port: thriftPort,
          endpoints: [
            { address: thriftServer.host, port: thriftServer.port, labels: { version: 'v1', app: 'hello' } },
            { address: '127.0.0.1', port: deadPort, labels: { version: 'dead', app: 'hello' } },
          ],
        }),
        destinationRule({
          name: 'hello',
          host: THRIFT_HOST,
          subsets: { v1: { version: 'v1' }, dead: { version: 'dead' } },
        }),
        withLocalRateLimit(
          metaRouter({
            name: 'hello',
            host: THRIFT_HOST,
            routes: [
              {
                name: 'say-hello',
                match: exactMatch({ method: 'sayHello' }),
                route: [destination(THRIFT_HOST, 'v1')],
              },
              {
                name: 'to-nowhere',
                match: exactMatch({ method: 'whoami' }),
                // No retries: one connection attempt per call, so every counter below is exact.
                retries: { attempts: 0 },
                route: [destination(THRIFT_HOST, 'dead')],
              },
              {
                name: 'echo',
                match: exactMatch({ method: 'echo' }),
                route: [destination(THRIFT_HOST, 'v1')],
              },
            ],
          }),
          // One echo a minute: the second is rate limited.
          {
            conditions: [
              {
                match: { attributes: { method: { exact: 'echo' } } },
                tokenBucket: { maxTokens: 1, tokensPerFill: 1, fillInterval: '60s' },
              },
            ],
          },
        ),
        dubboServiceEntry({
          name: 'demo',
          host: DUBBO_HOST,
          addresses: [ADDRESS],
          port: dubboPort,
          endpoints: [{ address: provider.host, port: provider.port, labels: { version: 'v1' } }],
        }),
      ],
    });
    logDir = await mkdtemp(join(tmpdir(), 'aeraki-access-log-'));
    aeraki = await startAeraki(config.path, {
      extraArgs: ['--access-log', join(logDir, 'access.log'), '--access-log-redact', 'group'],
      listeners: [
        { host: ADDRESS, port: thriftPort },
        { host: ADDRESS, port: dubboPort },
      ],
    });
    admin = adminAddress(aeraki);

    const hello = await connectHello(ADDRESS, thriftPort, { stack: STACK });
    try {
      for (let i = 0; i < 5; i++)
        assert.equal(await hello.client.sayHello(`n${i}`), `Hello n${i}, from ${versionTag('v1')}`);
      for (let i = 0; i < 2; i++) await assert.rejects(hello.client.whoami(), /connect/i);
      await assert.rejects(hello.client.add(1, 2), /no route/);
      assert.deepEqual(await hello.client.echo(Buffer.from('hi')), Buffer.from('hi'));
      await assert.rejects(hello.client.echo(Buffer.from('again')), /rate limit/);
    } finally {
      await hello.close();
    }
    const dubbo = new Dubbo2jsClient(ADDRESS, dubboPort);
    try {
      for (let i = 0; i < 4; i++) {
        const { err } = await dubbo.call(DEMO, 'sayHello', [java.String('x')], { group: 'secret-group' });
        assert.equal(err, null);
      }
    } finally {
      dubbo.close();
    }
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([thriftServer?.close(), provider?.close()]);
    await config?.remove();
    if (logDir !== '') await rm(logDir, { recursive: true, force: true });
  },
  { timeout: 15000 },
);

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`http://${admin}/stats/prometheus`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  return parseExposition(await response.text());
}

test('istio_requests_total counts each outcome with Istio labels and Envoy response flags', async () => {
  const samples = await scrape();
  const requests = (labels: Record<string, string>): number[] =>
    pick(samples, 'istio_requests_total', labels).map(s => s.value);
  assert.deepEqual(
    requests({
      destination_service: THRIFT_HOST,
      request_protocol: 'thrift',
      response_code: '0',
      destination_version: 'v1',
    }),
    [6],
  );
  assert.deepEqual(
    requests({ destination_service: THRIFT_HOST, response_code: '1', response_flags: 'UF' }),
    [2],
  );
  assert.deepEqual(
    requests({ destination_service: THRIFT_HOST, response_code: '1', response_flags: 'NR' }),
    [1],
  );
  assert.deepEqual(
    requests({ destination_service: THRIFT_HOST, response_code: '1', response_flags: 'RL' }),
    [1],
  );
  assert.deepEqual(
    requests({
      destination_service: DUBBO_HOST,
      request_protocol: 'dubbo',
      response_code: '0',
      response_flags: '-',
    }),
    [4],
  );
  const ok = pick(samples, 'istio_requests_total', {
    destination_service: THRIFT_HOST,
    response_code: '0',
  })[0]!;
  assert.equal(ok.labels['reporter'], 'source');
  assert.equal(ok.labels['destination_service_name'], 'hello');
  assert.equal(ok.labels['destination_service_namespace'], 'telemetry');
  assert.equal(ok.labels['destination_app'], 'hello');
  assert.equal(ok.labels['destination_version'], 'v1');
  assert.equal(ok.labels['request_operation'], undefined, 'per-method labels are opt-in');
  const total = samples.filter(s => s.name === 'istio_requests_total').reduce((n, s) => n + s.value, 0);
  assert.equal(total, 14);
});

test('duration and size histograms count every request; bucket counts are cumulative', async () => {
  const samples = await scrape();
  const labels = { destination_service: THRIFT_HOST, response_code: '0' };
  for (const name of ['istio_request_duration_milliseconds', 'istio_request_bytes', 'istio_response_bytes']) {
    assert.deepEqual(
      pick(samples, `${name}_count`, labels).map(s => s.value),
      [6],
      name,
    );
    const buckets = pick(samples, `${name}_bucket`, labels);
    assert.equal(buckets.at(-1)?.labels['le'], '+Inf');
    assert.equal(buckets.at(-1)?.value, 6);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
  }
  const requestBytes = pick(samples, 'istio_request_bytes_sum', labels)[0]!.value;
  assert.ok(requestBytes > 6 * 20, `six framed calls are more than 120 bytes, got ${requestBytes}`);
});

test('MetaProtocol, rate-limit and upstream stats: local replies by reason, connect failures', async () => {
  const samples = await scrape();
  const thriftListener = { listener: `${ADDRESS}_${thriftPort}` };
  assert.deepEqual(
    pick(samples, 'envoy_meta_protocol_local_reply', { ...thriftListener, reason: 'no-route' }).map(
      s => s.value,
    ),
    [1],
  );
  assert.deepEqual(
    pick(samples, 'envoy_meta_protocol_local_reply', { ...thriftListener, reason: 'connect-failure' }).map(
      s => s.value,
    ),
    [2],
  );
  assert.deepEqual(
    pick(samples, 'envoy_meta_protocol_request', thriftListener).map(s => s.value),
    [10],
  );
  assert.deepEqual(
    pick(samples, 'envoy_meta_protocol_local_ratelimit_rate_limited', thriftListener).map(s => s.value),
    [1],
  );
  assert.deepEqual(
    pick(samples, 'envoy_meta_protocol_local_ratelimit_ok', thriftListener).map(s => s.value),
    [9],
    'every thrift request but the limited one passed the limit filter',
  );
  const dead = { envoy_cluster_name: `outbound|${thriftPort}|dead|${THRIFT_HOST}` };
  assert.deepEqual(
    pick(samples, 'envoy_cluster_upstream_cx_connect_fail', dead).map(s => s.value),
    [2],
  );
  assert.deepEqual(
    pick(samples, 'envoy_cluster_membership_total', dead).map(s => s.value),
    [1],
  );
  assert.ok(pick(samples, 'process_resident_memory_bytes', {}).length === 1, 'process metrics are exported');
});

test('every metric the Grafana dashboard queries is exported', async () => {
  const exported = new Set((await scrape()).map(s => s.name));
  const dashboard = JSON.parse(
    await readFile(join(repoRoot(), 'deploy/grafana/aeraki-metaprotocol.json'), 'utf8'),
  ) as { panels: { targets: { expr: string }[] }[] };
  // Label names (in `by (…)` and selectors) look like metric names: drop them first.
  const exprs = dashboard.panels
    .flatMap(p => p.targets.map(t => t.expr))
    .join('\n')
    .replace(/by \([^)]*\)/g, '')
    .replace(/\{[^}]*\}/g, '');
  const queried = new Set(exprs.match(/\b(?:istio|envoy|process|nodejs)_\w+/g) ?? []);
  assert.ok(queried.size > 10, `the dashboard queries ${queried.size} metrics`);
  for (const name of queried)
    assert.ok(exported.has(name), `${name} is queried by the dashboard but not exported`);
});

interface LogLine {
  response_code: number;
  response_flags: string;
  response_code_details: string;
  route_name: string;
  upstream_cluster: string;
  upstream_host: string;
  protocol: string;
  bytes_received: number;
  bytes_sent: number;
  downstream_remote_address: string;
  request: Record<string, string>;
}

test('the access log has one JSON line per request: success, connect failure, rate limited, no route; redacted', async () => {
  const path = join(logDir, 'access.log');
  let lines: LogLine[] = [];
  for (let i = 0; i < 100 && lines.length < 14; i++) {
    const text = await readFile(path, 'utf8').catch(() => '');
    lines = text
      .split('\n')
      .filter(l => l !== '')
      .map(l => JSON.parse(l) as LogLine);
    await sleep(50);
  }
  assert.equal(lines.length, 14);
  const losses = (await scrape()).filter(s => s.name.startsWith('aeraki_access_log_'));
  assert.deepEqual(
    losses.map(s => [s.name, s.value]),
    [
      ['aeraki_access_log_dropped_total', 0],
      ['aeraki_access_log_write_failures_total', 0],
    ],
    'the access log reports that it lost nothing',
  );
  const thrift = lines.filter(l => l.protocol === 'thrift');
  const ok = thrift.filter(l => l.response_code === 0 && l.route_name === 'say-hello');
  assert.equal(ok.length, 5);
  assert.equal(thrift.filter(l => l.response_code === 0).length, 6, 'five sayHello and one echo');
  for (const l of ok) {
    assert.equal(l.route_name, 'say-hello');
    assert.equal(l.upstream_host, `${thriftServer!.host}:${thriftServer!.port}`);
    assert.equal(l.request['method'], 'sayHello');
    assert.ok(l.bytes_received > 0 && l.bytes_sent > 0);
    assert.match(l.downstream_remote_address, /^127\.0\.0\.1:\d+$/);
  }
  const failed = thrift.filter(l => l.response_flags === 'UF');
  assert.equal(failed.length, 2);
  for (const l of failed) {
    assert.equal(l.response_code, 1);
    assert.equal(l.upstream_host, `127.0.0.1:${deadPort}`);
    assert.match(l.response_code_details, /^connect-failure: /);
  }
  const limited = thrift.filter(l => l.response_flags === 'RL');
  assert.equal(limited.length, 1);
  assert.equal(limited[0]!.request['method'], 'echo');
  assert.match(limited[0]!.response_code_details, /^over-limit: .*rate limit/);
  const noRoute = thrift.filter(l => l.response_flags === 'NR');
  assert.equal(noRoute.length, 1);
  assert.equal(noRoute[0]!.request['method'], 'add');
  assert.equal(noRoute[0]!.upstream_cluster, '');
  const dubbo = lines.filter(l => l.protocol === 'dubbo');
  assert.equal(dubbo.length, 4);
  for (const l of dubbo) {
    assert.equal(l.request['group'], '[REDACTED]');
    assert.equal(l.request['method'], 'sayHello');
  }
});

test('tap and access log hide credentials by default, and the names --access-log-redact gives', async () => {
  const tap = await fetch(`http://${admin}/tap?service=${DUBBO_HOST}&limit=1`);
  assert.equal(tap.status, 200);
  const tapText = tap.text();
  await waitForTapAttached();
  const connection = await RawDubboConnection.connect(ADDRESS, dubboPort);
  try {
    connection.send(
      requestFrame({
        requestId: 7,
        service: DEMO,
        version: '1.0.0',
        method: 'sayHello',
        parameterTypes: 'Ljava/lang/String;',
        args: ['x'],
        attachments: attachmentsMap({
          path: DEMO,
          interface: DEMO,
          version: '1.0.0',
          group: 'secret-group',
          cookie: 'SESSION=1',
          'x-auth-token': 'SECRET-TOKEN',
          tenant: 'acme',
        }),
      }),
    );
    await connection.next();
  } finally {
    connection.destroy();
  }
  const [, line] = (await tapText).trim().split('\n');
  const tapped = (JSON.parse(line!) as { request: Record<string, string> }).request;
  const logged = await lastLogLine(l => l.request['tenant'] === 'acme');
  for (const request of [tapped, logged.request]) {
    assert.equal(request['group'], '[REDACTED]', '--access-log-redact names it');
    assert.equal(request['cookie'], '[REDACTED]', 'a credential, hidden by default');
    assert.equal(request['x-auth-token'], '[REDACTED]', 'a credential, hidden by default');
    assert.equal(request['tenant'], 'acme');
    assert.equal(request['method'], 'sayHello');
  }
});

/** Polls the proxy's /listeners until the Dubbo listener has a tap attached. */
async function waitForTapAttached(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const listeners = (await (await fetch(`http://${admin}/listeners`)).json()) as {
      name: string;
      taps: number;
    }[];
    if (listeners.find(l => l.name === `${ADDRESS}_${dubboPort}`)?.taps === 1) return;
    await sleep(10);
  }
  throw new Error('the tap did not attach');
}

/** The last access-log line that `match` accepts, once it is written. */
async function lastLogLine(match: (line: LogLine) => boolean): Promise<LogLine> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(join(logDir, 'access.log'), 'utf8');
    const found = text
      .split('\n')
      .filter(l => l !== '')
      .map(l => JSON.parse(l) as LogLine)
      .filter(match)
      .at(-1);
    if (found !== undefined) return found;
    await sleep(50);
  }
  throw new Error('no such access-log line');
}

test('the admin APIs answer only GET and HEAD (405 with Allow for other methods) and 404 to unknown paths', async () => {
  const controlPlaneAdmin = adminAddress(aeraki!, 'controlPlaneAdmin');
  for (const [base, path] of [
    [admin, '/config_dump'],
    [admin, '/tap'],
    [controlPlaneAdmin, '/status'],
  ] as const) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(`http://${base}${path}`, {
        method,
        body: method === 'DELETE' ? null : '{}',
      });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      await response.text();
    }
    const head = await fetch(`http://${base}${path === '/tap' ? '/ready' : path}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  }
  const unknown = await fetch(`http://${admin}/nope`);
  assert.equal(unknown.status, 404);
  await unknown.text();
});
