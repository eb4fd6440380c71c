/**
 * Envoy-style access-log format strings, compiled once into a list of parts:
 *
 * ```
 * format   = *( literal / command )
 * command  = "%" NAME [ "(" KEY ")" ] "%"
 * literal  = any text; "%%" is a literal "%"
 * ```
 *
 * Commands: START_TIME, DURATION, PROTOCOL, OPERATION, REQUEST_ID, ROUTE_NAME, UPSTREAM_CLUSTER,
 * UPSTREAM_HOST, RESPONSE_CODE (0 success / 1 failure, as Aeraki), RESPONSE_FLAGS,
 * RESPONSE_CODE_DETAILS, BYTES_RECEIVED, BYTES_SENT, DOWNSTREAM_REMOTE_ADDRESS,
 * DOWNSTREAM_LOCAL_ADDRESS, REQ(key) / REQUEST_PROPERTY(key), RESP(key) / RESPONSE_PROPERTY(key).
 * A missing value prints `-`, as Envoy does.
 */
import { AerakiError, ErrorCodes } from '../../errors.js';
import type { AccessLogEntry } from './access-log-entry.js';

type Part = string | ((entry: AccessLogEntry) => string);

const SIMPLE: Readonly<Record<string, (entry: AccessLogEntry) => string>> = {
  START_TIME: e => e.start_time,
  DURATION: e => String(e.duration),
  PROTOCOL: e => e.protocol,
  OPERATION: e => e.operation,
  REQUEST_ID: e => String(e.request_id),
  ROUTE_NAME: e => e.route_name,
  UPSTREAM_CLUSTER: e => e.upstream_cluster,
  UPSTREAM_HOST: e => e.upstream_host,
  RESPONSE_CODE: e => String(e.response_code),
  RESPONSE_FLAGS: e => e.response_flags,
  RESPONSE_CODE_DETAILS: e => e.response_code_details,
  BYTES_RECEIVED: e => String(e.bytes_received),
  BYTES_SENT: e => String(e.bytes_sent),
  DOWNSTREAM_REMOTE_ADDRESS: e => e.downstream_remote_address,
  DOWNSTREAM_LOCAL_ADDRESS: e => e.downstream_local_address,
};

const KEYED: Readonly<Record<string, 'request' | 'response'>> = {
  REQ: 'request',
  REQUEST_PROPERTY: 'request',
  RESP: 'response',
  RESPONSE_PROPERTY: 'response',
};

const COMMAND = /%([A-Z_]+)(?:\(([^)%]*)\))?%/g;

/** A compiled format: call it with an entry to get one log line (without the newline). */
export type AccessLogFormatter = (entry: AccessLogEntry) => string;

/** Compiles `format`; throws AERAKI_ERR_CONFIG_INVALID naming an unknown command. */
export function compileAccessLogFormat(format: string): AccessLogFormatter {
  const parts: Part[] = [];
  let last = 0;
  const source = format.replaceAll('%%', '\u0000');
  for (const m of source.matchAll(COMMAND)) {
    if (m.index > last) parts.push(source.slice(last, m.index).replaceAll('\u0000', '%'));
    parts.push(commandPart(m[1]!, m[2], format));
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last).replaceAll('\u0000', '%'));
  return entry => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else {
        const value = part(entry);
        out += value === '' ? '-' : value;
      }
    }
    return out;
  };
}

function commandPart(name: string, key: string | undefined, format: string): Part {
  const keyed = KEYED[name];
  if (keyed !== undefined) {
    if (key === undefined || key === '') {
      throw new AerakiError(
        ErrorCodes.CONFIG_INVALID,
        `access log format: %${name}(key)% needs a key in '${format}'`,
      );
    }
    const lower = key.toLowerCase();
    return entry => entry[keyed]?.[lower] ?? '';
  }
  const simple = SIMPLE[name];
  if (simple === undefined || key !== undefined) {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `access log format: unknown command %${name}${key === undefined ? '' : `(${key})`}% in '${format}'; ` +
        `known: ${[...Object.keys(SIMPLE), 'REQ(key)', 'RESP(key)'].join(', ')}`,
    );
  }
  return simple;
}
