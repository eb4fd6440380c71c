import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineTimer, type DeadlineEntry } from '../../../src/net/deadline-timer.js';

function entry(log: string[], name: string): DeadlineEntry {
  return {
    deadline: 0,
    deadlineKey: -1,
    deadlinePrev: null,
    deadlineNext: null,
    onDeadline: () => log.push(name),
  };
}

test('entries fire once their deadline passed, in order; disarmed ones never fire', () => {
  const timer = new DeadlineTimer();
  const log: string[] = [];
  const a = entry(log, 'a');
  const b = entry(log, 'b');
  const c = entry(log, 'c');
  const d = entry(log, 'd');
  timer.arm(a, 100);
  timer.arm(b, 100);
  timer.arm(c, 100);
  timer.arm(d, 5000);
  timer.disarm(b);
  assert.equal(timer.size, 3);
  timer.expire(Date.now() + 50);
  assert.deepEqual(log, []);
  timer.expire(Date.now() + 200);
  assert.deepEqual(log, ['a', 'c']);
  assert.equal(timer.size, 1);
  timer.disarm(d);
  timer.disarm(d);
  assert.equal(timer.size, 0);
  timer.stop();
});
