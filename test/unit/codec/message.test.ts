import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Metadata } from '../../../src/codec/message.js';

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
