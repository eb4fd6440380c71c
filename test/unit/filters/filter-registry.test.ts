import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';
import type { ConfigSchema } from '../../../src/filters/config-schema.js';
import { FilterRegistry } from '../../../src/filters/filter-registry.js';
import { defineFilter, filterName, z, type FilterContext } from '../../../src/filters/filter-sdk.js';

const CONTEXT: FilterContext = { listenerName: 'l', protocol: 'toy', logger: pino({ level: 'silent' }) };

const tagger = defineFilter({
  name: filterName('tagger'),
  configSchema: z.object({ tag: z.string().min(1), limits: z.array(z.number().int()).default([]) }),
  create: config => ({
    name: filterName('tagger'),
    onRequest: ctx => {
      ctx.addRequestHeader('x-tag', config.tag);
      return 'continue' as const;
    },
  }),
});

function rejects(run: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof AerakiError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('filter registry', () => {
  test('the built-ins hold their names; a taken name is refused naming its owner', () => {
    const registry = new FilterRegistry();
    for (const name of ['router', 'local_ratelimit', 'ratelimit', 'metadata_exchange', 'istio_stats'])
      assert.equal(registry.ownerOf(filterName(name)), 'built in');
    registry.add(tagger, "'./tagger.mjs'");
    assert.equal(registry.ownerOf(tagger.name), "'./tagger.mjs'");
    rejects(
      () => registry.add({ ...tagger }, "'./other.mjs'"),
      ErrorCodes.PLUGIN_INVALID,
      /filter 'aeraki\.meta_protocol\.filters\.tagger' is already registered \('\.\/tagger\.mjs'\)/,
    );
  });

  test("check applies the filter's schema: defaults filled in, problems with their paths", () => {
    const registry = new FilterRegistry();
    registry.add(tagger, 'p');
    assert.deepEqual(registry.check(tagger.name, { tag: 'a' }), {
      ok: true,
      value: { tag: 'a', limits: [] },
    });
    const refused = registry.check(tagger.name, { tag: '', limits: [1, 'x'] });
    assert.equal(refused?.ok, false);
    assert.deepEqual(!refused!.ok && refused!.problems.map(p => p.path), [['tag'], ['limits', 1]]);
    assert.equal(registry.check(filterName('unknown'), {}), undefined, 'an unknown filter: nothing to check');
    assert.equal(
      registry.check(filterName('router'), {}),
      undefined,
      'the listener filters have no schema here',
    );
  });

  test('a schema that throws or answers asynchronously is a problem at the root, not a crash', () => {
    const registry = new FilterRegistry();
    const throwing: ConfigSchema = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('schema bug');
        },
      },
    };
    const asynchronous: ConfigSchema = {
      '~standard': { version: 1, vendor: 'test', validate: async v => ({ value: v }) },
    };
    registry.add(
      {
        name: filterName('a'),
        configSchema: throwing,
        create: () => tagger.create({ tag: 't', limits: [] }, CONTEXT),
      },
      'p',
    );
    registry.add(
      {
        name: filterName('b'),
        configSchema: asynchronous,
        create: () => tagger.create({ tag: 't', limits: [] }, CONTEXT),
      },
      'p',
    );
    assert.match(JSON.stringify(registry.check(filterName('a'), {})), /schema threw: schema bug/);
    assert.match(JSON.stringify(registry.check(filterName('b'), {})), /must validate synchronously/);
  });

  test('create: unknown names, refused configs, failing factories and wrong shapes, each named', () => {
    const registry = new FilterRegistry();
    registry.add(tagger, 'p');
    registry.add(
      {
        name: filterName('broken'),
        create: () => {
          throw new Error('no backend');
        },
      },
      "'./broken.mjs'",
    );
    registry.add({ name: filterName('shapeless'), create: () => ({ name: 'x' }) as never }, 'p');
    rejects(
      () => registry.create(filterName('nope'), {}, CONTEXT),
      ErrorCodes.FILTER_UNKNOWN,
      /filter 'aeraki\.meta_protocol\.filters\.nope' is not registered.*registered: aeraki\.meta_protocol\.filters\.tagger/,
    );
    rejects(
      () => registry.create(tagger.name, { tag: 7 }, CONTEXT),
      ErrorCodes.CONFIG_INVALID,
      /filter 'aeraki\.meta_protocol\.filters\.tagger': config rejected: tag: /,
    );
    rejects(
      () => registry.create(filterName('broken'), undefined, CONTEXT),
      ErrorCodes.CONFIG_INVALID,
      /filter 'aeraki\.meta_protocol\.filters\.broken' \('\.\/broken\.mjs'\) failed to start: no backend/,
    );
    rejects(
      () => registry.create(filterName('shapeless'), undefined, CONTEXT),
      ErrorCodes.CONFIG_INVALID,
      /create\(\) must return an object with onRequest and\/or onResponse/,
    );
  });

  test("a plugin's filter is split by direction and carries its registered name", () => {
    const registry = new FilterRegistry();
    registry.add(tagger, 'p');
    const created = registry.create(tagger.name, { tag: 'a' }, CONTEXT);
    assert.equal(created.decoder?.name, tagger.name);
    assert.equal(created.encoder, undefined);
  });
});
