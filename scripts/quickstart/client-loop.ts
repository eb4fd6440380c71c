/**
 * One client calling in a loop, paced to a rate, counting who answered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoClient } from './protocol-driver.js';
import type { Tally } from './tally.js';

/**
 * Calls `client` until `stopped()` or its connection is gone, about `perSecond` times a second
 * (0 = each call as soon as the previous one answered). Errors after `stopped()` are the shutdown's
 * own and are not counted.
 */
export async function clientLoop(
  client: DemoClient,
  tally: Tally,
  perSecond: number,
  stopped: () => boolean,
): Promise<void> {
  const interval = perSecond > 0 ? 1000 / perSecond : 0;
  let next = performance.now();
  let n = 0;
  while (!stopped() && !client.isClosed) {
    try {
      tally.add(await client.call(n++));
    } catch (err) {
      if (!stopped()) tally.addError(err);
    }
    if (interval > 0) {
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      // Behind schedule (a slow answer): start again from now rather than bursting to catch up.
      else next = performance.now();
    }
  }
}
