import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultInjector } from '../../../../src/redis/listener/fault-injector.js';
import type { RedisFaultResource } from '../../../../src/xds/redis-resources.js';

const fault = (type: 'DELAY' | 'ERROR', percent: number, commands: string[] = []): RedisFaultResource => ({
  type,
  percent,
  delayMs: type === 'DELAY' ? 10 : 0,
  commands,
});

test('faults for a command share one draw, command faults first, then the ones for all commands', () => {
  // Envoy's example: ERROR at 5% for all, DELAY at 10% for GET: a GET draw below 10 is delayed,
  // 10 to 15 gets the error, the rest nothing; SET only ever gets the error.
  let draw = 0;
  const injector = new FaultInjector([fault('ERROR', 5), fault('DELAY', 10, ['get'])], () => draw / 100);
  const pick = (command: string, at: number): string | undefined => {
    draw = at;
    return injector.pick(command)?.type;
  };
  assert.equal(pick('get', 9.9), 'DELAY');
  assert.equal(pick('get', 10), 'ERROR');
  assert.equal(pick('get', 14.9), 'ERROR');
  assert.equal(pick('get', 15), undefined);
  assert.equal(pick('set', 4.9), 'ERROR');
  assert.equal(pick('set', 5), undefined);
  assert.deepEqual(
    injector.candidates('get').map(f => f.type),
    ['DELAY', 'ERROR'],
  );
  assert.equal(new FaultInjector([]).empty, true);
});
