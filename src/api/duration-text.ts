/**
 * Durations as users write them: Go / protobuf-JSON syntax such as `10s`, `100ms`, `1m`, `1.5s`,
 * `1h30m`. Apart from their schema (duration.ts) so that the commands that only parse a flag do not
 * load zod.
 */
const unitMs: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const part = /([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds in `text`, or `undefined` if it is not a non-negative duration. */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0) return undefined;
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < text.length) {
    const start = part.lastIndex;
    const match = part.exec(text);
    if (match === null || match.index !== start) return undefined;
    total += Number(match[1]) * (unitMs[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** Milliseconds in a validated duration, rounded to a whole millisecond; `fallback` when absent. */
export function durationMs(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  return Math.round(parseDurationMs(text) ?? fallback);
}
