/**
 * Durations as users write them: Go / protobuf-JSON syntax such as `10s`, `100ms`, `1m`, `1.5s`, `1h30m`.
 */
import { z } from 'zod';
import { parseDurationMs } from './duration-text.js';

export { durationMs, parseDurationMs } from './duration-text.js';

/** A duration string; the parsed value is read with {@link durationMs}. */
export const durationSchema = z.string().refine(text => parseDurationMs(text) !== undefined, {
  message: 'must be a duration such as "10s", "100ms", "1m" or "1.5s"',
  params: { rule: 'invalid-duration' },
});
