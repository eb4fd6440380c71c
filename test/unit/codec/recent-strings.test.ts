import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteQueue } from '../../../src/codec/byte-queue.js';
import { RecentStrings } from '../../../src/codec/recent-strings.js';
import { seededRandom } from '../seeded-random.js';

const SLOTS = 16;
const recentStrings = () => new RecentStrings(SLOTS, 32);
const decodeAll = (recent: RecentStrings, source: Buffer) => recent.decode(source, 0, source.length);

describe('RecentStrings', () => {
  test('a name decoded again reads the same, also after its source buffer is reused', () => {
    const recent = recentStrings();
    const source = Buffer.from('xxsayHelloyy');
    assert.equal(recent.decode(source, 2, 10), 'sayHello');
    assert.equal(recent.decode(source, 2, 10), 'sayHello');
    // The socket's buffer is gone once decoded; the slot compares with its own copy of the bytes.
    source.write('sayHallo', 2, 'latin1');
    assert.equal(recent.decode(source, 2, 10), 'sayHallo');
    assert.equal(recent.decode(Buffer.from('sayHello'), 0, 8), 'sayHello');
  });

  test('names that share a slot (length, first and last byte) never stand for each other', () => {
    const recent = recentStrings();
    const a = Buffer.from('getUser');
    const b = Buffer.from('gotUser');
    for (let i = 0; i < 4; i++) {
      assert.equal(decodeAll(recent, a), 'getUser');
      assert.equal(decodeAll(recent, b), 'gotUser');
    }
  });

  test('multi-byte UTF-8 and invalid bytes decode as Buffer#toString does', () => {
    const recent = recentStrings();
    for (const bytes of [
      Buffer.from('héllo→✓'),
      Buffer.from([0x61, 0xff, 0xc3]),
      Buffer.from([0xe2, 0x82]),
    ]) {
      assert.equal(decodeAll(recent, bytes), bytes.toString('utf8'));
      assert.equal(decodeAll(recent, bytes), bytes.toString('utf8'));
    }
  });

  test('matches Buffer#toString on random names from a small alphabet (many collisions)', () => {
    const random = seededRandom(7);
    const recent = recentStrings();
    const alphabet = Buffer.from('ab\u00e9');
    for (let n = 0; n < 20_000; n++) {
      const length = 1 + Math.floor(random() * 6);
      const name = Buffer.alloc(length);
      for (let i = 0; i < length; i++) name[i] = alphabet[Math.floor(random() * alphabet.length)]!;
      assert.equal(decodeAll(recent, name), name.toString('utf8'), `draw ${n}: ${name.toString('hex')}`);
    }
  });

  test('an empty string and one longer than its slots decode as Buffer#toString does', () => {
    const recent = recentStrings();
    const long = Buffer.from(`x${'é'.repeat(20)}`);
    for (let i = 0; i < 2; i++) {
      assert.equal(recent.decode(long, 0, long.length), long.toString('utf8'));
      assert.equal(recent.decode(long, 3, 3), '');
    }
  });

  test('slots must be a power of two and strings 1 to 255 bytes', () => {
    assert.throws(() => new RecentStrings(12, 32), RangeError);
    assert.throws(() => new RecentStrings(16, 256), RangeError);
    assert.equal(new RecentStrings(1, 255).maxBytes, 255);
  });

  test('holds at most its slots: more distinct names than slots are all still decoded right', () => {
    const recent = recentStrings();
    const names = Array.from({ length: SLOTS * 3 }, (_, i) => `method${i}`);
    for (let round = 0; round < 3; round++) {
      for (const name of names) assert.equal(decodeAll(recent, Buffer.from(name)), name);
    }
  });
});

describe('ByteQueue.string', () => {
  test('short, long, empty and chunk-spanning strings', () => {
    // Longer than the queue remembers (32 bytes).
    const long = 'L'.repeat(33);
    const queue = new ByteQueue();
    queue.push(Buffer.from(`sayHello${long}say`));
    queue.push(Buffer.from('Hello'));
    for (let i = 0; i < 2; i++) {
      assert.equal(queue.string(0, 8), 'sayHello');
      assert.equal(queue.string(8, long.length), long);
      assert.equal(queue.string(8, 0), '');
      assert.equal(queue.string(8 + long.length, 8), 'sayHello', 'across two chunks');
    }
    queue.take(8);
    assert.equal(queue.string(long.length, 8), 'sayHello');
  });
});

describe('RecentStrings.find', () => {
  test('finds only exactly the bytes decoded last into a slot, and decodes nothing', () => {
    const recent = new RecentStrings(SLOTS, 64);
    const bytes = Buffer.from('xxsayHelloxx');
    assert.equal(recent.find(bytes, 2, 10), undefined, 'nothing kept yet');
    const decoded = recent.decode(bytes, 2, 10);
    assert.equal(recent.find(Buffer.from('sayHello'), 0, 8), decoded);
    assert.equal(recent.find(Buffer.from('sayHellp'), 0, 8), undefined);
    assert.equal(recent.find(Buffer.from('sayHell'), 0, 7), undefined);
    assert.equal(recent.find(bytes, 2, 2), undefined, 'an empty range');
    assert.equal(recent.find(Buffer.alloc(65, 0x61), 0, 65), undefined, 'longer than a slot');
  });
});
