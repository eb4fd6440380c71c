/**
 * How the config directory is read and watched: the largest file read (`aeraki validate`, `up` and
 * `control-plane`), and the period of the re-scan that backs up the file-system events (`up` and
 * `control-plane`).
 */
import { formatByteSize, parseByteSize } from '../api/byte-size.js';
import { parseDurationMs } from '../api/duration-text.js';
import type { FileSourceOptions } from '../control-plane/sources/file-source.js';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_RESCAN_INTERVAL_MS } from '../control-plane/sources/file-source.js';
import { AerakiError, ErrorCodes } from '../errors.js';

export const CONFIG_LIMIT_USAGE = `  --config-max-file-size SIZE
                      refuse (unread, as an error) any config file larger than this, e.g. 16MiB,
                      512KiB (default ${formatByteSize(DEFAULT_MAX_FILE_BYTES).replace(' ', '')})
`;

export const CONFIG_LIMIT_OPTIONS = {
  'config-max-file-size': { type: 'string' },
} as const;

interface ConfigLimitValues {
  readonly 'config-max-file-size'?: string | undefined;
}

/** The reading limits the command line asks for. */
export function configLimitOptions(values: ConfigLimitValues): FileSourceOptions {
  const text = values['config-max-file-size'];
  if (text === undefined) return {};
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < 1) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `--config-max-file-size must be a size such as 16MiB, 512KiB or 1000000, got '${text}'`,
    );
  }
  return { maxFileBytes: bytes };
}

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
