/**
 * How the config directory is read and watched, shared by `aeraki up` and `aeraki control-plane`:
 * the period of the re-scan that backs up the file-system events.
 */
import { parseDurationMs } from '../api/duration.js';
import type { FileSourceOptions } from '../control-plane/sources/file-source.js';
import { DEFAULT_RESCAN_INTERVAL_MS } from '../control-plane/sources/file-source.js';
import { AerakiError, ErrorCodes } from '../errors.js';

export const CONFIG_WATCH_USAGE = `  --config-rescan DURATION
                      list DIR again this often even without a file-system event, reading only
                      files whose size, times or inode changed (default ${DEFAULT_RESCAN_INTERVAL_MS / 1000}s; 0 = off)
`;

export const CONFIG_WATCH_OPTIONS = {
  'config-rescan': { type: 'string' },
} as const;

/** Shorter periods would list the tree back to back and take a core for it. */
const MIN_RESCAN_INTERVAL_MS = 100;

interface ConfigWatchValues {
  readonly 'config-rescan'?: string | undefined;
}

/** The watch options the command line asks for. */
export function configWatchOptions(values: ConfigWatchValues): FileSourceOptions {
  const text = values['config-rescan'];
  if (text === undefined) return {};
  const ms = parseDurationMs(text);
  if (ms === undefined || (ms > 0 && ms < MIN_RESCAN_INTERVAL_MS)) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `--config-rescan must be 0 (off) or a duration of at least ${MIN_RESCAN_INTERVAL_MS}ms such as 2s, got '${text}'`,
    );
  }
  return { rescanIntervalMs: Math.round(ms) };
}
