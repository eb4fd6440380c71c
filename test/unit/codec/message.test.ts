import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Metadata, type DeferredAttributes } from '../../../src/codec/message.js';

test('Metadata lower-cases keys, replaces values in place and keeps the order keys were first set', () => {
  const metadata = new Metadata();
  metadata.set('Method', 'sayHello');
  metadata.set('interface', 'org.example.Greeter');
  metadata.set('METHOD', 'sayBye');
  assert.equal(metadata.get('method'), 'sayBye');
  assert.equal(metadata.get('Method'), undefined, 'get takes lower-case keys');
  assert.equal(metadata.size, 2);
  assert.deepEqual(
    [...metadata.entries()],
    [
      ['method', 'sayBye'],
      ['interface', 'org.example.Greeter'],
    ],
  );
  metadata.delete('method');
  assert.equal(metadata.has('method'), false);
  assert.deepEqual(metadata.toJSON(), { interface: 'org.example.Greeter' });
});

test('Metadata behaves like a Map of lower-cased keys, with few keys and with thousands', () => {
  const operation = fc.oneof(
    fc.tuple(fc.constant('set' as const), fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })),
    fc.tuple(fc.constant('delete' as const), fc.string({ maxLength: 3 }), fc.constant('')),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 3000 }), operations => {
      const metadata = new Metadata();
      const model = new Map<string, string>();
      for (const [op, key, value] of operations) {
        if (op === 'set') {
          metadata.set(key, value);
          model.set(key.toLowerCase(), value);
        } else {
          metadata.delete(key.toLowerCase());
          model.delete(key.toLowerCase());
        }
      }
      assert.equal(metadata.size, model.size);
      assert.deepEqual(new Map(metadata.entries()), model);
      for (const key of model.keys()) assert.equal(metadata.get(key), model.get(key));
    }),
    { numRuns: 200 },
  );
});

/** Deferred attributes that count how often they were added. */
function countingSource(pairs: readonly [string, string][]): DeferredAttributes & { added: number } {
  return {
    added: 0,
    addTo(metadata: Metadata) {
      this.added++;
      for (const [key, value] of pairs) metadata.set(key, value);
    },
  };
}

test('deferred attributes are added once, on the first read of a key not set directly', () => {
  const metadata = new Metadata();
  const source = countingSource([
    ['version', '1.0.0'],
    ['Application', 'demo'],
  ]);
  metadata.defer(source);
  metadata.set('method', 'sayHello');
  assert.equal(metadata.get('method'), 'sayHello');
  assert.equal(metadata.has('method'), true);
  assert.equal(source.added, 0, 'a key set directly is read without the deferred ones');
  assert.equal(metadata.get('application'), 'demo');
  assert.equal(metadata.get('nothing'), undefined);
  assert.equal(metadata.has('version'), true);
  assert.equal(source.added, 1);
  assert.deepEqual(
    [...metadata.entries()],
    [
      ['version', '1.0.0'],
      ['application', 'demo'],
      ['method', 'sayHello'],
    ],
    'the deferred attributes come first, as if set before the others',
  );
  assert.equal(source.added, 1);
});

test('keys set directly, before or after the deferral, win over the deferred attributes', () => {
  for (const setFirst of [true, false]) {
    const metadata = new Metadata();
    const source = countingSource([
      ['version', 'deferred'],
      ['kept', 'k'],
    ]);
    if (setFirst) metadata.set('Version', 'direct');
    metadata.defer(source);
    if (!setFirst) metadata.set('Version', 'direct');
    assert.deepEqual(metadata.toJSON(), { version: 'direct', kept: 'k' });
    assert.equal(metadata.size, 2);
  }
});

test('listing, counting and deleting add the deferred attributes first; a deleted one stays deleted', () => {
  for (const first of ['entries', 'size', 'delete', 'has'] as const) {
    const metadata = new Metadata();
    const source = countingSource([
      ['a', '1'],
      ['b', '2'],
    ]);
    metadata.defer(source);
    if (first === 'entries') assert.equal([...metadata.entries()].length, 2);
    if (first === 'size') assert.equal(metadata.size, 2);
    if (first === 'delete') metadata.delete('a');
    if (first === 'has') assert.equal(metadata.has('b'), true);
    assert.equal(source.added, 1, first);
    assert.equal(metadata.get('a'), first === 'delete' ? undefined : '1');
    assert.equal(source.added, 1, first);
  }
});

test('deferred attributes under more keys than the flat array holds', () => {
  const metadata = new Metadata();
  const deferred: [string, string][] = [];
  for (let i = 0; i < 20; i++) deferred.push([`d${i}`, `deferred ${i}`]);
  metadata.defer(countingSource(deferred));
  for (let i = 0; i < 20; i++) metadata.set(`s${i}`, `set ${i}`);
  metadata.set('d3', 'direct');
  assert.equal(metadata.get('s19'), 'set 19');
  assert.equal(metadata.get('d3'), 'direct');
  assert.equal(metadata.get('d4'), 'deferred 4');
  assert.equal(metadata.size, 40);
});
