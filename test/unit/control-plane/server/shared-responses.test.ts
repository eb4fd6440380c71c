/**
 * Shared responses: streams sent the same set share one response (bytes and nonce) while it is in
 * use (asked for within the hold time, or held by a write), and one no longer in use is garbage, made
 * again alike when asked for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SharedResponses } from '../../../../src/control-plane/server/shared-responses.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection once the current job is over (WeakRefs are kept until then). */
async function collect(): Promise<void> {
  await tick();
  gc();
}

const finish = (body: Buffer, nonce: string, controlPlaneId: string): Buffer =>
  Buffer.concat([body, Buffer.from(`|${nonce}|${controlPlaneId}`)]);

function responses(): { shared: SharedResponses } {
  let nonces = 0;
  return { shared: new SharedResponses('cp', () => `n${++nonces}`, finish) };
}

test('streams sent the same set share its bytes and nonce; another version gets another', () => {
  const { shared } = responses();
  const set = new Map();
  let built = 0;
  const body = (): Buffer => (built++, Buffer.from('resources'));
  const a = shared.get('type', 'v1', set, body);
  const b = shared.get('type', 'v1', set, body);
  assert.equal(a.bytes, b.bytes);
  assert.equal(a.nonce, b.nonce);
  assert.equal(built, 1);
  assert.equal(a.body.toString(), 'resources');
  assert.equal(a.bytes.toString(), 'resources|n1|cp');
  const c = shared.get('type', 'v2', set, body);
  assert.notEqual(c.nonce, a.nonce);
  assert.equal(built, 2);
  shared.release();
});

test('a response is held for the hold time after it was last asked for, then collected once no write holds it, and made again alike', async () => {
  const shared = new SharedResponses('cp', () => 'n1', finish, 30);
  const set = new Map();
  let built = 0;
  const body = (): Buffer => (built++, Buffer.alloc(1 << 20, 7));
  const first = shared.get('type', 'v1', set, body);
  const { nonce } = first;
  const copy = Buffer.from(first.bytes);
  const held = new WeakRef(first.bytes);
  (first as { bytes?: Buffer }).bytes = undefined;
  (first as { body?: Buffer }).body = undefined;
  // Nobody writes it any more, but it was asked for just now: it is kept for the next stream.
  await collect();
  assert.ok(held.deref() !== undefined, 'held within the hold time');
  assert.equal(shared.heldCount, 1);
  assert.equal(shared.get('type', 'v1', set, body).nonce, nonce);
  assert.equal(built, 1);

  // Past the hold time, and held by no write, it is garbage.
  await sleep(100);
  assert.equal(shared.heldCount, 0);
  for (let i = 0; i < 5 && held.deref() !== undefined; i++) await collect();
  assert.equal(held.deref(), undefined, 'the response was collected');
  const again = shared.get('type', 'v1', set, body);
  assert.equal(built, 2);
  assert.equal(again.nonce, nonce);
  assert.deepEqual(again.bytes, copy);
  shared.release();
});

test('past the hold time, a response a write still holds is shared, not made again', async () => {
  const shared = new SharedResponses('cp', () => 'n1', finish, 10);
  const set = new Map();
  let built = 0;
  const writing = shared.get('type', 'v1', set, () => (built++, Buffer.from('resources'))).bytes;
  await sleep(50);
  await collect();
  assert.equal(shared.heldCount, 0);
  assert.equal(shared.get('type', 'v1', set, () => (built++, Buffer.from('resources'))).bytes, writing);
  assert.equal(built, 1);
  shared.release();
});
