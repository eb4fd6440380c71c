/**
 * Filters from a plugin written to a folder outside the checkout (importing only `aeraki/filter`),
 * configured in YAML on a MetaRouter (`spec.filters`), run by `aeraki up --plugin` on real Apache
 * Thrift traffic (THeader, whose headers are the request's metadata):
 *
 * - in the listed order: a deny on a metadata value answers before the audit filter sees the call,
 *   and both count what they did (their counters in the admin API);
 * - the deny filter's config schema (zod, from `aeraki/filter`): `aeraki validate --plugin` names the
 *   file, the document and the field of a bad config, and without the plugin only warns;
 * - a filter that pauses a call and resumes it later: the call is served, once;
 * - the filters' counters and errors in /stats/prometheus, under each filter's name;
 * - a filter that throws — in onRequest, in onResponse, in a timer it set, in a promise, after
 *   resuming the chain — fails only that call with an `internal` TApplicationException: a call in
 *   flight on the same connection is answered, the connection serves the next call, the throw is
 *   counted and logged with the filter's name, and the process lives on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  adminAddress,
  adminGet,
  connectHello,
  createConfigDir,
  destination,
  freePort,
  listenerStats,
  metaRouter,
  runAeraki,
  startAeraki,
  startHelloServer,
  testAddress,
  thrift,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type ConfigDir,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(72);
const HOST = 'hello.filters.e2e.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'header' };
const DENY = 'aeraki.meta_protocol.filters.deny_tenant';
const AUDIT = 'aeraki.meta_protocol.filters.audit';
const THROWER = 'aeraki.meta_protocol.filters.thrower';

const outside = mkdtempSync(join(tmpdir(), 'aeraki-filter-plugin-e2e-'));
const PLUGIN = join(outside, 'filters.mjs');
writeFileSync(
  PLUGIN,
  `import { defineFilter, filterName, z } from 'aeraki/filter';

const deny = defineFilter({
  name: filterName('deny_tenant'),
  configSchema: z.object({ header: z.string().min(1), values: z.array(z.string()).min(1) }),
  create(config) {
    const stats = { denied: 0 };
    return {
      name: filterName('deny_tenant'),
      stats,
      onRequest(ctx) {
        const value = ctx.request.metadata.get(config.header);
        if (value === undefined || !config.values.includes(value)) return 'continue';
        stats.denied++;
        ctx.sendLocalReply('bad-request', 'tenant ' + value + ' is denied');
        return 'stop';
      },
    };
  },
});

const audit = defineFilter({
  name: filterName('audit'),
  create() {
    const stats = { seen: 0 };
    return {
      name: filterName('audit'),
      stats,
      onRequest(ctx) {
        stats.seen++;
        ctx.addRequestHeader('x-audited', 'yes');
        return 'continue';
      },
    };
  },
});

/** Throws where the request's 'mode' header says. */
const thrower = defineFilter({
  name: filterName('thrower'),
  create() {
    return {
      name: filterName('thrower'),
      onRequest(ctx) {
        switch (ctx.request.metadata.get('mode')) {
          case 'request':
            throw new TypeError('bug in onRequest');
          case 'timer':
            setTimeout(() => { throw new TypeError('bug in a timer'); }, 5);
            return 'stop';
          case 'promise':
            Promise.resolve().then(() => { throw new TypeError('bug in a promise'); });
            return 'stop';
          case 'resume':
            setTimeout(() => { ctx.continueDecoding(); throw new TypeError('bug after resuming'); }, 5);
            return 'stop';
          case 'hold':
            setTimeout(() => ctx.continueDecoding(), 20);
            return 'stop';
          default:
            return 'continue';
        }
      },
      onResponse(ctx) {
        if (ctx.request.metadata.get('mode') === 'response') throw new RangeError('bug in onResponse');
        return 'continue';
      },
    };
  },
});

export default { sdkVersion: '^1.1.0', filters: [deny, audit, thrower] };
`,
);
after(() => rmSync(outside, { recursive: true, force: true }));

const FILTERS = [
  { name: DENY, config: { header: 'tenant', values: ['blocked', 'banned'] } },
  { name: AUDIT },
  { name: THROWER },
];

let server: HelloServer | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
let port = 0;

before(
  async () => {
    server = await startHelloServer({ tag: versionTag('v1'), stack: STACK });
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'hello.yaml': [
        thriftServiceEntry({
          name: 'hello',
          host: HOST,
          addresses: [ADDRESS],
          port,
          endpoints: [{ address: server.host, port: server.port, labels: { version: 'v1' } }],
        }),
        metaRouter({ name: 'hello', host: HOST, routes: [{ route: [destination(HOST)] }], filters: FILTERS }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: [{ host: ADDRESS, port }],
      extraArgs: ['--plugin', PLUGIN],
    });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await server?.close();
    await config?.remove();
  },
  { timeout: 15000 },
);

async function withConnection<T>(run: (hello: HelloConnection) => Promise<T>): Promise<T> {
  const hello = await connectHello(ADDRESS, port, { stack: STACK });
  try {
    return await run(hello);
  } finally {
    await hello.close();
  }
}

async function filterCounters(): Promise<Record<string, Record<string, number>>> {
  const listeners = await adminGet<Array<{ name: string; filters: Record<string, Record<string, number>> }>>(
    aeraki!,
    '/listeners',
  );
  return listeners.find(l => l.name === `${ADDRESS}_${port}`)!.filters;
}

async function prometheusText(): Promise<string> {
  const response = await fetch(`http://${adminAddress(aeraki!)}/stats/prometheus`);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of `name` for this test's listener (and `reason`, if given) in the scrape. */
function sampleOf(text: string, name: string, reason?: string): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (m?.[1] !== name || !m[2]!.includes(`listener="${ADDRESS}_${port}"`)) continue;
    if (reason !== undefined && !m[2]!.includes(`reason="${reason}"`)) continue;
    return Number(m[3]);
  }
  return undefined;
}

describe('plugin filters configured in YAML', () => {
  test('run in order: a denied tenant never reaches the audit filter; both count', async () => {
    const calls = 20;
    await withConnection(async hello => {
      for (let i = 0; i < calls; i++) {
        const tenant = i % 4 === 0 ? 'blocked' : `t${i}`;
        const call = hello.callWithHeaders({ tenant }, c => c.sayHello(`n${i}`));
        if (tenant === 'blocked') {
          await assert.rejects(call, (err: unknown) => {
            assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
            assert.match(err.message, /tenant blocked is denied/);
            return true;
          });
        } else {
          assert.equal((await call).value, `Hello n${i}, from ${versionTag('v1')}`);
        }
      }
    });
    const denied = calls / 4;
    const counters = await filterCounters();
    assert.equal(counters[DENY]?.['denied'], denied);
    assert.equal(counters[AUDIT]?.['seen'], calls - denied, 'the audit filter ran after the deny');
    const audited = server!.calls.filter(c => c.headers['x-audited'] === 'yes');
    assert.equal(audited.length, calls - denied, 'the audit filter wrote a header upstream');
    const text = await prometheusText();
    assert.equal(sampleOf(text, 'envoy_meta_protocol_deny_tenant_denied'), denied);
    assert.equal(sampleOf(text, 'envoy_meta_protocol_audit_seen'), calls - denied);
  });

  test('a filter pauses a call and resumes it later: served, once', async () => {
    const before = server!.calls.length;
    await withConnection(async hello => {
      const reply = await hello.callWithHeaders({ mode: 'hold' }, c => c.sayHello('held'));
      assert.equal(reply.value, `Hello held, from ${versionTag('v1')}`);
    });
    assert.equal(server!.calls.length, before + 1);
  });
});

describe('a plugin filter that throws fails only its own call', () => {
  for (const [mode, reason] of [
    ['request', 'bug in onRequest'],
    ['response', 'bug in onResponse'],
    ['timer', 'bug in a timer'],
    ['promise', 'bug in a promise'],
    ['resume', 'bug after resuming'],
  ] as const) {
    test(`throwing ${mode === 'request' || mode === 'response' ? `in on${mode === 'request' ? 'Request' : 'Response'}` : `in a ${mode}`}`, async () => {
      const before = (await listenerStats(aeraki!, ADDRESS, port))['filterError'] as Record<string, number>;
      await withConnection(async hello => {
        const inFlight = hello.client.slow(200, 'other');
        await assert.rejects(
          hello.callWithHeaders({ mode }, c => c.sayHello('x')),
          (err: unknown) => {
            assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
            assert.match(
              err.message,
              new RegExp(`filter ${THROWER.replace(/\./g, '\\.')} failed: ${reason}`),
            );
            return true;
          },
        );
        assert.match(await inFlight, /other/, 'the call in flight on the same connection is answered');
        assert.equal(await hello.client.sayHello('next'), `Hello next, from ${versionTag('v1')}`);
      });
      const stats = await listenerStats(aeraki!, ADDRESS, port);
      assert.equal((stats['filterError'] as Record<string, number>)['thrower'], (before['thrower'] ?? 0) + 1);
      assert.equal(
        sampleOf(await prometheusText(), 'envoy_meta_protocol_filter_error', 'thrower'),
        (before['thrower'] ?? 0) + 1,
      );
      assert.ok(
        aeraki!.logs.some(
          l =>
            l['source'] === THROWER && String((l['err'] as { message?: string })?.message).includes(reason),
        ),
        'logged with the filter name',
      );
      assert.equal(aeraki!.exit, undefined, 'the process lives on');
    });
  }
});

describe('aeraki validate and the filter config schema', () => {
  test('--plugin: a bad config names file, document and field; without it, a warning', async () => {
    const dir = await createConfigDir({
      'bad.yaml': [
        thriftServiceEntry({ name: 'bad', host: HOST, addresses: [ADDRESS], port, endpoints: [] }),
        metaRouter({
          name: 'bad',
          host: HOST,
          routes: [{ route: [destination(HOST)] }],
          filters: [{ name: DENY, config: { header: 'tenant', values: [] } }],
        }),
      ],
    });
    try {
      const checked = await runAeraki(['validate', dir.path, '--plugin', PLUGIN, '--json']);
      assert.equal(checked.code, 1, checked.stderr);
      const report = JSON.parse(checked.stdout) as { errors: Array<Record<string, unknown>> };
      assert.deepEqual(
        report.errors.map(e => [e['file'], e['documentIndex'], e['field'], e['rule']]),
        [[join(dir.path, 'bad.yaml'), 1, 'spec.filters[0].config.values', 'filter-config']],
      );
      const unchecked = await runAeraki(['validate', dir.path, '--json']);
      assert.equal(unchecked.code, 0, unchecked.stderr);
      const warned = JSON.parse(unchecked.stdout) as { warnings: Array<Record<string, unknown>> };
      assert.deepEqual(
        warned.warnings.filter(w => w['rule'] !== 'no-endpoints').map(w => [w['rule'], w['field']]),
        [['filter-unknown', 'spec.filters[0].name']],
      );
    } finally {
      await dir.remove();
    }
  });
});
