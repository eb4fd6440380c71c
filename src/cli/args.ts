import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { XdsApi } from '../xds/ads-client.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments; unknown or malformed options become a usage error. */
export function parseCommandArgs<T extends Options>(
  args: string[],
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `${(err as Error).message}\n\n${usage}`, { cause: err });
  }
}

/** Splits `HOST:PORT` (port required). */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const port = Number(value.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `${what} must look like HOST:PORT, got '${value}'`);
  }
  return { host: value.slice(0, i), port };
}

/** `--xds-api`: `delta` or `sotw`. */
export function parseXdsApi(value: string): XdsApi {
  if (value === 'delta' || value === 'sotw') return value;
  throw new AerakiError(ErrorCodes.CLI_USAGE, `--xds-api must be delta or sotw, got '${value}'`);
}
