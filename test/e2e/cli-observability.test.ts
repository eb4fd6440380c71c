/**
 * `aeraki status`, `routes`, `explain` and `tap` run as real processes against a running
 * `aeraki up` in front of real Apache Thrift servers, checked through their `--json` output (and the
 * human table of `status`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminAddress,
  connectHello,
  createConfigDir,
  destination,
  exactMatch,
  freePort,
  metaRouter,
  runAeraki,
  startAeraki,
  startVersionedHelloServers,
  testAddress,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type ConfigDir,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(50);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const HOST = 'cli.e2e.svc.cluster.local';

let v1: HelloServer | undefined;
let v2: HelloServer | undefined;
let port = 0;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
let admin = '';
let controlPlaneAdmin = '';

before(
  async () => {
    [v1, v2] = await startVersionedHelloServers(STACK);
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'cli.yaml': [
        ...versionedThriftService({ name: 'cli', host: HOST, address: ADDRESS, port, v1: v1!, v2: v2! }),
        // `add` matches no route on purpose: the no-route local reply shows up in the tap.
        metaRouter({
          name: 'cli',
          host: HOST,
          routes: [
            {
              name: 'say-hello-to-v1',
              match: exactMatch({ method: 'sayHello' }),
              route: [destination(HOST, 'v1')],
            },
            {
              name: 'whoami-split',
              match: exactMatch({ method: 'whoami' }),
              route: [destination(HOST, 'v1', 25), destination(HOST, 'v2', 75)],
            },
          ],
        }),
      ],
    });
    aeraki = await startAeraki(config.path, { listeners: [{ host: ADDRESS, port }] });
    admin = adminAddress(aeraki);
    controlPlaneAdmin = adminAddress(aeraki, 'controlPlaneAdmin');
  },
  { timeout: 30000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([v1?.close(), v2?.close()]);
    await config?.remove();
  },
  { timeout: 15000 },
);

async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await runAeraki(args);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

async function cliJson(...args: string[]): Promise<unknown> {
  const { code, stdout, stderr } = await cli(...args, '--json');
  assert.equal(code, 0, `aeraki ${args.join(' ')} failed:\n${stderr}`);
  return JSON.parse(stdout) as unknown;
}

test('status: the proxy of aeraki up has ACKed every resource type', { timeout: 20000 }, async () => {
  const status = (await cliJson('status', '--control-plane', controlPlaneAdmin)) as {
    nodes: {
      nodeId: string;
      streams: number;
      types: { typeUrl: string; state: string; sentVersion: string; ackedVersion: string }[];
    }[];
  };
  assert.equal(status.nodes.length, 1);
  const node = status.nodes[0]!;
  assert.equal(node.nodeId, `aeraki-up~${aeraki!.pid}`);
  assert.equal(node.streams, 1);
  assert.deepEqual(node.types.map(t => t.typeUrl.split('.').pop()).sort(), [
    'Cluster',
    'ClusterLoadAssignment',
    'Listener',
    'RouteConfiguration',
  ]);
  for (const type of node.types) {
    assert.equal(type.state, 'acked', JSON.stringify(type));
    assert.equal(type.ackedVersion, type.sentVersion);
  }

  const table = await cli('status', '--control-plane', controlPlaneAdmin);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0]!, /^PROXY\s+STREAMS\s+TYPE\s+SENT\s+ACKED\s+STATE\s+LAST NACK$/);
  assert.equal(lines.filter(l => /\bSYNCED\b/.test(l)).length, 4, table.stdout);
  assert.ok(!table.stdout.includes('\u001b['), 'no colour codes when stdout is not a terminal');
});

test('status: a control plane that is not there is a one-line error, not a stack trace', async () => {
  const closed = await freePort();
  const { code, stderr } = await cli('status', '--control-plane', `127.0.0.1:${closed}`);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /cannot reach the control plane admin API at 127\.0\.0\.1:\d+ \(ECONNREFUSED\).*AERAKI_ERR_ADMIN_UNREACHABLE/,
  );
  assert.doesNotMatch(stderr, /\n\s+at /);
});

test('routes: the service routes in match order, by host and by HOST:PORT', { timeout: 20000 }, async () => {
  for (const service of [HOST, `${HOST}:${port}`, `${HOST}_${port}`]) {
    const tables = (await cliJson('routes', service, '--admin', admin)) as {
      name: string;
      routes: { name: string; action: { weightedClusters?: { name: string; weight: number }[] } }[];
    }[];
    assert.equal(tables.length, 1);
    assert.equal(tables[0]!.name, `${HOST}_${port}`);
    assert.deepEqual(
      tables[0]!.routes.map(r => r.name),
      ['say-hello-to-v1', 'whoami-split'],
    );
  }
  const human = await cli('routes', HOST, '--admin', admin);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /method = sayHello/);
  assert.match(human.stdout, new RegExp(`outbound\\|${port}\\|v2\\|${HOST.replaceAll('.', '\\.')} 75%`));

  const missing = await cli('routes', 'nope.e2e.svc.cluster.local', '--admin', admin);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no routes for 'nope\.e2e\.svc\.cluster\.local'.*AERAKI_ERR_NOT_FOUND/);
});

test(
  'explain: the matching route, its destinations, and why earlier routes did not match',
  { timeout: 20000 },
  async () => {
    const report = (await cliJson('explain', HOST, '--attr', 'method=whoami', '--admin', admin)) as {
      routeTable: string;
      listeners: string[];
      matched: { route: string; destinations: { cluster: string; percent: number }[] } | null;
      skipped: { route: string; reasons: string[] }[];
    };
    assert.equal(report.routeTable, `${HOST}_${port}`);
    assert.deepEqual(report.listeners, [`${ADDRESS}_${port}`]);
    assert.equal(report.matched?.route, 'whoami-split');
    assert.deepEqual(report.matched.destinations, [
      { cluster: `outbound|${port}|v1|${HOST}`, weight: 25, percent: 25 },
      { cluster: `outbound|${port}|v2|${HOST}`, weight: 75, percent: 75 },
    ]);
    assert.deepEqual(report.skipped, [
      { route: 'say-hello-to-v1', reasons: ["attribute 'method' is 'whoami', not 'sayHello'"] },
    ]);

    const none = (await cliJson('explain', HOST, '--attr', 'method=add', '--admin', admin)) as {
      matched?: unknown;
      skipped: { route: string }[];
    };
    assert.equal(none.matched, undefined);
    assert.deepEqual(
      none.skipped.map(s => s.route),
      ['say-hello-to-v1', 'whoami-split'],
    );
    const human = await cli('explain', HOST, '--attr', 'method=add', '--admin', admin);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /no route matches/);
  },
);

interface TapRecord {
  listener: string;
  operation: string;
  request: Record<string, string>;
  route: string;
  cluster: string;
  upstreamHost: string;
  outcome: string;
  responseStatus?: string;
  localReply?: { kind: string; message: string };
}

/** Polls the proxy's /listeners until the listener has `count` taps attached. */
async function waitForTaps(count: number): Promise<void> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const listeners = (await (await fetch(`http://${admin}/listeners`)).json()) as {
      name: string;
      taps: number;
    }[];
    if (listeners.find(l => l.name === `${ADDRESS}_${port}`)?.taps === count) return;
    if (Date.now() > deadline) throw new Error(`the tap did not attach: ${JSON.stringify(listeners)}`);
    await sleep(25);
  }
}

test(
  'tap: streams the finished requests that match its filter, live, and stops at --count',
  { timeout: 30000 },
  async () => {
    const tapping = runAeraki([
      'tap',
      HOST,
      '--attr',
      'method=sayHello',
      '--count',
      '3',
      '--json',
      '--admin',
      admin,
    ]);
    const everything = runAeraki(['tap', HOST, '--count', '2', '--json', '--admin', admin]);
    await waitForTaps(2);
    // The unfiltered tap takes exactly the first two requests and stops; the filtered one sees neither.
    const hello = await connectHello(ADDRESS, port, { stack: STACK });
    try {
      await assert.rejects(hello.client.add(1, 2), /no route/);
      const tag = await hello.client.whoami();
      assert.ok(tag === versionTag('v1') || tag === versionTag('v2'), tag);
    } finally {
      await hello.close();
    }
    const all = await everything;
    assert.equal(all.code, 0, all.stderr);
    const seen = all.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as TapRecord);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.outcome, 'local-reply');
    assert.equal(seen[0]!.localReply?.kind, 'no-route');
    assert.equal(seen[0]!.request['method'], 'add');
    assert.equal(seen[1]!.request['method'], 'whoami');
    assert.equal(seen[1]!.outcome, 'response');
    assert.equal(seen[1]!.route, 'whoami-split');

    // Three sayHello calls end the filtered tap; the whoami between them is not its business.
    const more = await connectHello(ADDRESS, port, { stack: STACK });
    try {
      await more.client.sayHello('a');
      await more.client.whoami();
      await more.client.sayHello('b');
      await more.client.sayHello('c');
    } finally {
      await more.close();
    }
    const filtered = await tapping;
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.match(filtered.stderr, new RegExp(`tapping ${ADDRESS.replaceAll('.', '\\.')}_${port}`));
    const records = filtered.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as TapRecord);
    assert.equal(records.length, 3);
    for (const record of records) {
      assert.equal(record.request['method'], 'sayHello');
      assert.equal(record.outcome, 'response');
      assert.equal(record.responseStatus, 'ok');
      assert.equal(record.route, 'say-hello-to-v1');
      assert.equal(record.cluster, `outbound|${port}|v1|${HOST}`);
      assert.equal(record.upstreamHost, `${v1!.host}:${v1!.port}`);
    }
    await waitForTaps(0);
  },
);

test(
  'control-plane metrics: connected proxy, pushes, convergence; a bad edit counts as rejected',
  { timeout: 20000 },
  async () => {
    const scrape = async (): Promise<string> => {
      const response = await fetch(`http://${controlPlaneAdmin}/stats/prometheus`);
      assert.equal(response.status, 200);
      return response.text();
    };
    const value = (text: string, series: string): number | undefined => {
      const line = text.split('\n').find(l => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const before = await scrape();
    assert.equal(value(before, 'pilot_xds'), 1);
    for (const type of ['lds', 'cds', 'eds', 'rds']) {
      assert.ok((value(before, `pilot_xds_pushes{type="${type}"}`) ?? 0) >= 1, `${type} pushed`);
    }
    assert.ok((value(before, 'pilot_proxy_convergence_time_count') ?? 0) >= 1);
    assert.equal(value(before, 'aeraki_config_errors'), 0);
    assert.equal(value(before, 'aeraki_config_reloads_total{result="rejected"}'), undefined);

    await config!.write(
      'broken.yaml',
      'apiVersion: metaprotocol.aeraki.io/v1alpha1\nkind: MetaRouter\nmetadata: {name: broken}\nspec: {hosts: []}\n',
    );
    try {
      const deadline = Date.now() + 10000;
      let text = await scrape();
      while (
        value(text, 'aeraki_config_reloads_total{result="rejected"}') === undefined &&
        Date.now() < deadline
      ) {
        await sleep(100);
        text = await scrape();
      }
      assert.equal(value(text, 'aeraki_config_reloads_total{result="rejected"}'), 1);
      assert.ok((value(text, 'aeraki_config_errors') ?? 0) >= 1);
      assert.equal(value(text, 'pilot_xds'), 1, 'the proxy stays connected and keeps the last good config');
    } finally {
      await rm(join(config!.path, 'broken.yaml'));
    }
  },
);
