/**
 * The control plane's push debounce, shared by `aeraki control-plane` and `aeraki up`: how long the
 * config must be quiet before proxies are told, and the longest a change waits while edits keep
 * coming. Istio's users know these as PILOT_DEBOUNCE_AFTER and PILOT_DEBOUNCE_MAX, which are read
 * when the options are not given.
 */
import { parseDurationMs } from '../api/duration-text.js';
import { DEFAULT_DEBOUNCE, type DebounceOptions } from '../control-plane/cache/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';

export const DEBOUNCE_USAGE = `  --debounce-after DURATION
                      push once the config has been quiet this long (default ${DEFAULT_DEBOUNCE.quietPeriodMs}ms;
                      env PILOT_DEBOUNCE_AFTER)
  --debounce-max DURATION
                      push at the latest this long after a change, however busy (default
                      ${DEFAULT_DEBOUNCE.maxDelayMs / 1000}s; env PILOT_DEBOUNCE_MAX)
`;

export const DEBOUNCE_OPTIONS = {
  'debounce-after': { type: 'string' },
  'debounce-max': { type: 'string' },
} as const;

interface DebounceValues {
  readonly 'debounce-after'?: string | undefined;
  readonly 'debounce-max'?: string | undefined;
}

/** The debounce the options (or Istio's environment variables) ask for. */
export function debounceOptions(
  values: DebounceValues,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DebounceOptions {
  const quietPeriodMs = duration(
    values['debounce-after'],
    '--debounce-after',
    env['PILOT_DEBOUNCE_AFTER'],
    'PILOT_DEBOUNCE_AFTER',
    DEFAULT_DEBOUNCE.quietPeriodMs,
  );
  const maxDelayMs = duration(
    values['debounce-max'],
    '--debounce-max',
    env['PILOT_DEBOUNCE_MAX'],
    'PILOT_DEBOUNCE_MAX',
    DEFAULT_DEBOUNCE.maxDelayMs,
  );
  if (maxDelayMs < quietPeriodMs) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `the debounce maximum (${maxDelayMs} ms) must not be shorter than the quiet period (${quietPeriodMs} ms)`,
    );
  }
  return { quietPeriodMs, maxDelayMs };
}

function duration(
  option: string | undefined,
  optionName: string,
  variable: string | undefined,
  variableName: string,
  fallback: number,
): number {
  const [text, from] =
    option !== undefined ? [option, optionName] : variable !== undefined ? [variable, variableName] : [];
  if (text === undefined) return fallback;
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `${from} must be a duration such as 100ms, 1s or 1.5s, got '${text}'`,
    );
  }
  return Math.round(ms);
}
