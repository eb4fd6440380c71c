/**
 * Test support: what decoding costs the event loop. Bytes are fed as a socket delivers them (Node
 * reads at most 64 KiB at a time) and the CPU time of each decode call is measured, so that a test can
 * show that no single call takes long, whatever the frame, within the codec's limits.
 */
import { ByteQueue } from '../../../src/codec/byte-queue.js';
import type { Codec, Message } from '../../../src/codec/index.js';

/** What a socket delivers per read. */
export const SOCKET_READ = 64 * 1024;

/**
 * A generous bound on one decode call: far above what the work bounded by the limits costs (a few
 * milliseconds once warm), far below what unbounded work costs (walking a 16 MiB frame in one call
 * takes a quarter of a second), and with room for a machine shared with other test processes, where
 * CPU time per call still stretches (caches, the GC's own threads).
 */
export const DECODE_CALL_BUDGET_MS = 50;

export interface FeedResult {
  readonly messages: Message[];
  /** What the last decode call threw, if anything (feeding stops there). */
  readonly error: unknown;
  /** The CPU time of the most expensive decode call, in milliseconds. */
  readonly maxCallMs: number;
}

/** CPU time (user + system, all threads) spent in `fn`, in milliseconds. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Feeds `bytes` to a codec made by `create` in `chunk`-byte reads, decoding after each. */
export function feedMeasured(create: () => Codec, bytes: Buffer, chunk = SOCKET_READ): FeedResult {
  const codec = create();
  const queue = new ByteQueue();
  const messages: Message[] = [];
  let maxCallMs = 0;
  let error: unknown;
  for (let at = 0; at < bytes.length && error === undefined; at += chunk) {
    // A copy per read, as the socket hands out its own buffers.
    queue.push(Buffer.from(bytes.subarray(at, at + chunk)));
    const ms = cpuMs(() => {
      try {
        for (let m = codec.decode(queue); m !== undefined; m = codec.decode(queue)) messages.push(m);
      } catch (thrown) {
        error = thrown;
      }
    });
    maxCallMs = Math.max(maxCallMs, ms);
  }
  return { messages, error, maxCallMs };
}

/**
 * {@link feedMeasured}, run until one run keeps every call within {@link DECODE_CALL_BUDGET_MS} (at
 * most 3 runs): a garbage collection or a busy machine can stretch one run, but bounded work fits the
 * budget in a quiet one. The first run also warms the code up.
 */
export function feedWithinBudget(create: () => Codec, bytes: Buffer, chunk = SOCKET_READ): FeedResult {
  let best: FeedResult | undefined;
  for (let run = 0; run < 3; run++) {
    const result = feedMeasured(create, bytes, chunk);
    if (best === undefined || result.maxCallMs < best.maxCallMs) best = result;
    if (best.maxCallMs < DECODE_CALL_BUDGET_MS) break;
  }
  return best!;
}
