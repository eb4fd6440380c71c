import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { eventLoopTurn } from '../../../src/net/event-loop-turn.js';

describe('eventLoopTurn', () => {
  test('the same all through one turn, another in the next', async () => {
    const first = eventLoopTurn();
    await Promise.resolve();
    assert.equal(eventLoopTurn(), first, 'microtasks are part of the turn');
    await nextTurn();
    await nextTurn();
    const later = eventLoopTurn();
    assert.notEqual(later, first);
    assert.equal(eventLoopTurn(), later);
  });
});
