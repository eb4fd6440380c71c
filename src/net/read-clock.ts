/**
 * Date.now(), read at most once per socket read for whatever is timed while that read is handled.
 * The messages of one read arrived together, so one reading serves them all as precisely as a
 * reading each would at millisecond resolution, and a clock read costs more than what the proxy then
 * does with it: 60 ns on this machine's kvm-clock, about what recording a request's metrics costs.
 * An upstream read completes a few dozen requests at full load (bench:features, 32x8).
 *
 * A socket's data handler brackets its work with {@link beginRead} and {@link endRead} (in a
 * `finally`); {@link readTime} outside any read (timers, closes) reads the clock itself.
 */
let depth = 0;
/** The reading of the read being handled; -1 until something asks for it. */
let reading = -1;

/** A socket read's handling starts. */
export function beginRead(): void {
  if (depth++ === 0) reading = -1;
}

/** It ends (always called, also when the handler throws). */
export function endRead(): void {
  depth--;
}

/** Date.now(), the same for everything in one read. */
export function readTime(): number {
  if (depth === 0) return Date.now();
  if (reading < 0) reading = Date.now();
  return reading;
}
