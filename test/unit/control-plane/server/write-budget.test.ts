/** WriteBudget: bytes in flight bounded, each stream in order, closed streams release their share. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WriteBudget, type FlushingWrite } from '../../../../src/control-plane/server/write-budget.js';

/** A stream that records what was written and flushes when told. */
function stream(): { write: FlushingWrite; written: string[]; flush: () => void } {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  return {
    written,
    write: (response, done) => {
      written.push(response.toString());
      pending.push(done);
    },
    flush: () => pending.shift()?.(),
  };
}

describe('WriteBudget', () => {
  test('holds responses past the limit until earlier ones flush, keeping each stream in order', () => {
    const budget = new WriteBudget(10);
    const a = stream();
    const b = stream();
    budget.write(a.write, Buffer.from('aaaaaa'));
    budget.write(a.write, Buffer.from('AAAAAA'));
    budget.write(b.write, Buffer.from('bb'));
    budget.write(a.write, Buffer.from('a'));
    assert.deepEqual(a.written, ['aaaaaa']);
    assert.deepEqual(b.written, ['bb'], 'another stream goes ahead while there is room');
    assert.equal(budget.bytesInFlight, 8);
    assert.equal(budget.queued, 2);
    a.flush();
    assert.deepEqual(a.written, ['aaaaaa', 'AAAAAA', 'a']);
    assert.equal(budget.bytesInFlight, 9);
  });

  test('a response bigger than the limit goes out alone', () => {
    const budget = new WriteBudget(4);
    const a = stream();
    budget.write(a.write, Buffer.from('0123456789'));
    budget.write(a.write, Buffer.from('x'));
    assert.deepEqual(a.written, ['0123456789']);
    a.flush();
    assert.deepEqual(a.written, ['0123456789', 'x']);
  });

  test('a closed stream drops its waiting responses and frees what it never flushed', () => {
    const budget = new WriteBudget(10);
    const a = stream();
    const b = stream();
    budget.write(a.write, Buffer.from('aaaaaaaa'));
    budget.write(a.write, Buffer.from('aaaaaaaa'));
    budget.write(b.write, Buffer.from('bbbbbbbb'));
    assert.equal(budget.queued, 2);
    budget.close(a.write);
    assert.deepEqual(b.written, ['bbbbbbbb']);
    assert.equal(budget.bytesInFlight, 8);
    assert.equal(budget.queued, 0);
    a.flush(); // a late flush of the closed stream changes nothing
    assert.equal(budget.bytesInFlight, 8);
  });
});
