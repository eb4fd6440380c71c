/**
 * A MetaRouter's `spec.filters` from YAML to listeners: the chain's own rules (names, the router
 * last, rate limits placed bare), the filters known here checked against their schemas (errors at the
 * config's field, with file and line), an unknown filter a warning, and the translation: the listed
 * order, the rate limits first unless placed, the router implicit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateMetaRouter } from '../../../../src/api/validation/meta-router.js';
import { filterCheckOf } from '../../../../src/cli/plugin-options.js';
import { loadConfig, translate } from '../../../../src/control-plane/index.js';
import { withFilterIssues } from '../../../../src/control-plane/model/filter-issues.js';
import { FilterRegistry } from '../../../../src/filters/filter-registry.js';
import { defineFilter, filterName, z } from '../../../../src/filters/filter-sdk.js';
import { configDir, serviceEntry } from '../temp-config.js';

const HOST = 'hello.demo.svc.cluster.local';
const DENY = filterName('deny_tenant');

const registry = new FilterRegistry();
registry.add(
  defineFilter({
    name: DENY,
    configSchema: z.object({ key: z.string(), values: z.array(z.string()).min(1) }),
    create: () => ({ name: DENY, onRequest: () => 'continue' as const }),
  }),
  "'./deny.mjs'",
);

function router(filters: string, extra = ''): string {
  return `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: hello, namespace: demo}
spec:
  hosts: [${HOST}]
  routes:
    - route: [{destination: {host: ${HOST}}}]
${extra}  filters:
${filters}`;
}

const LOCAL_LIMIT = `  localRateLimit: {tokenBucket: {maxTokens: 5, fillInterval: 1s}}
`;

describe('MetaRouter spec.filters rules', () => {
  test('names, the router last and bare, rate limits placed bare with their field set', () => {
    const issues = validateMetaRouter(
      {
        hosts: [HOST],
        routes: [{ route: [{ destination: { host: HOST } }] }],
        filters: [
          { name: 'deny' },
          { name: filterName('router') },
          { name: filterName('local_ratelimit'), config: { tokenBucket: {} } },
          { name: filterName('istio_stats') },
          { name: DENY, config: { key: 'tenant', values: ['x'] } },
        ],
      },
      'demo',
    );
    assert.deepEqual(
      issues.map(i => `${i.rule} ${i.path.join('.')}`),
      [
        'filter-name spec.filters.0.name',
        'filter-router-last spec.filters.1.name',
        'filter-builtin-config spec.filters.2.config',
        'filter-rate-limit-unset spec.filters.2.name',
        'filter-telemetry spec.filters.3.name',
      ],
    );
  });
});

describe('filters known here', () => {
  test("a config the filter's schema refuses is an error at its field, with file and line", async () => {
    const dir = configDir({
      'se.yaml': serviceEntry({ name: 'hello', host: HOST, address: '127.0.0.9' }),
      'router.yaml': router(`    - name: ${DENY}
      config: {key: tenant, values: []}
`),
    });
    const loaded = withFilterIssues(await loadConfig(dir), filterCheckOf(registry));
    assert.deepEqual(
      loaded.issues.map(i => [i.severity, i.rule, i.field, i.line]),
      [['error', 'filter-config', 'spec.filters[0].config.values', 10]],
    );
    assert.match(
      loaded.issues[0]!.message,
      /config of filter 'aeraki\.meta_protocol\.filters\.deny_tenant' rejected/,
    );
  });

  test('an unknown filter is a warning naming the filters known here, and still translates', async () => {
    const dir = configDir({
      'se.yaml': serviceEntry({ name: 'hello', host: HOST, address: '127.0.0.9' }),
      'router.yaml': router(`    - name: ${filterName('acme_auth')}
      config: {realm: x}
`),
    });
    const loaded = withFilterIssues(await loadConfig(dir), filterCheckOf(new FilterRegistry()));
    assert.deepEqual(
      loaded.issues.map(i => [i.severity, i.rule, i.field]),
      [['warning', 'filter-unknown', 'spec.filters[0].name']],
    );
    assert.match(loaded.issues[0]!.message, /known: .*aeraki\.meta_protocol\.filters\.router/);
    const listener = translate(loaded.config).listeners[0]!;
    assert.deepEqual(listener.filters, [{ name: filterName('acme_auth'), config: { realm: 'x' } }]);
  });
});

describe('translation of spec.filters', () => {
  async function chainOf(filters: string, extra = ''): Promise<unknown> {
    const dir = configDir({
      'se.yaml': serviceEntry({ name: 'hello', host: HOST, address: '127.0.0.9' }),
      'router.yaml': router(filters, extra),
    });
    const loaded = await loadConfig(dir);
    assert.deepEqual(
      loaded.issues.filter(i => i.severity === 'error'),
      [],
    );
    return translate(loaded.config).listeners[0]!.filters;
  }

  test('the listed order; an unplaced rate limit first; the router left out', async () => {
    assert.deepEqual(
      await chainOf(
        `    - {name: ${DENY}, config: {key: tenant, values: [a]}}
    - {name: ${filterName('audit')}}
    - {name: ${filterName('router')}}
`,
        LOCAL_LIMIT,
      ),
      [
        { name: filterName('local_ratelimit') },
        { name: DENY, config: { key: 'tenant', values: ['a'] } },
        { name: filterName('audit') },
      ],
    );
  });

  test('a rate limit listed by name runs where it is listed', async () => {
    assert.deepEqual(
      await chainOf(
        `    - {name: ${DENY}, config: {key: tenant, values: [a]}}
    - {name: ${filterName('local_ratelimit')}}
`,
        LOCAL_LIMIT,
      ),
      [{ name: DENY, config: { key: 'tenant', values: ['a'] } }, { name: filterName('local_ratelimit') }],
    );
  });

  test('a chain that is only the rate limits in their usual order is the listener without a chain', async () => {
    assert.equal(await chainOf(`    - {name: ${filterName('local_ratelimit')}}\n`, LOCAL_LIMIT), undefined);
  });
});
