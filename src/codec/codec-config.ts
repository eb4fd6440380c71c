import { AerakiError, ErrorCodes } from '../errors.js';

/**
 * Helpers for codecs reading their own settings (the `config` given to `CodecFactory.create`), so
 * that every codec reports a bad setting the same way: AERAKI_ERR_CONFIG_INVALID naming the codec
 * and the field.
 */

/** The config as a field map; `undefined`/`null` give an empty one. `protocol` names the codec. */
export function codecConfigFields(protocol: string, config: unknown): Record<string, unknown> {
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, `${protocol} codec config must be an object`);
  }
  return config as Record<string, unknown>;
}

/** `fields[key]` as an integer from 1 to `max`, or `fallback` when absent. */
export function positiveIntegerSetting(
  protocol: string,
  fields: Record<string, unknown>,
  key: string,
  fallback: number,
  max: number,
): number {
  const value = fields[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `${protocol} codec config: ${key} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** `fields[key]` as a boolean, or `fallback` when absent. */
export function booleanSetting(
  protocol: string,
  fields: Record<string, unknown>,
  key: string,
  fallback: boolean,
): boolean {
  const value = fields[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `${protocol} codec config: ${key} must be true or false, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
