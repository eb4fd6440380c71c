/**
 * `--workers N` for the commands that run a proxy: `aeraki proxy`, `aeraki up`.
 */
import { availableParallelism } from 'node:os';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { limitOptions } from './limit-options.js';
import type { telemetryOptions } from './telemetry-options.js';

export const WORKERS_OPTION = {
  workers: { type: 'string' },
} as const;

export const WORKERS_USAGE = `  --workers N         event loops serving every listener, each a process of its own (default
                      'auto': one per CPU; 1: the proxy runs in this process); one admin API, one
                      xDS connection, and local rate limits, circuit breakers and outlier
                      ejections that hold for the whole proxy
`;

/**
 * The options each worker process parses as the command did (telemetry, limits, plugins, log
 * level): the command's parsed values, passed on as JSON.
 */
export interface ProxyWorkerSettings {
  readonly values: Parameters<typeof telemetryOptions>[0] &
    Parameters<typeof limitOptions>[0] & {
      readonly plugin?: string[] | undefined;
      readonly 'log-level'?: string | undefined;
    };
}

/**
 * `--workers` as a count: a whole number ≥ 1, or `auto` for the number of CPUs; absent, `auto`.
 */
export function workerCount(value: string | undefined): number {
  if (value === undefined || value === 'auto') return availableParallelism();
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1 || count > 256) {
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `--workers must be a whole number from 1 to 256 or 'auto', got '${value}'`,
    );
  }
  return count;
}
