/**
 * The proxy's observability options, shared by `aeraki up` and `aeraki proxy`.
 */
import { AerakiError, ErrorCodes } from '../errors.js';
import { compileAccessLogFormat } from '../proxy/telemetry/access-log-format.js';
import { DEFAULT_REDACTED_NAME_PARTS, type RedactionSpec } from '../proxy/telemetry/attribute-redaction.js';
import type { TelemetryOptions } from '../proxy/telemetry/request-telemetry.js';

export const TELEMETRY_USAGE = `  --access-log PATH   write one access-log line per request to PATH ('-' = standard output)
  --access-log-format FORMAT
                      json (default), or an Envoy-style format such as
                      '[%START_TIME%] %PROTOCOL% %REQ(method)% %RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION%'
  --redact PARTS      tap, /tap and the access log show as [REDACTED] the values of attributes
                      whose names contain one of these comma-separated parts ('none': show all);
                      default ${DEFAULT_REDACTED_NAME_PARTS.join(',')}
  --access-log-redact KEYS
                      comma-separated attribute names (exact) also shown as [REDACTED]
  --access-log-sampling PERCENT
                      share of successful requests logged (0-100, default 100); failed requests
                      and those the proxy answered itself are always logged (0 = errors only)
  --metrics-per-method
                      add a request_operation (method) label to the Istio request metrics
  --no-metrics        do not record request metrics (stats counters stay)
  --workload NAME     this proxy's workload, for the source_workload label (default unknown)
  --trace-otlp URL    trace requests and export spans over OTLP/HTTP to URL
                      (e.g. http://127.0.0.1:4318/v1/traces)
  --trace-sampling PERCENT
                      share of requests traced when the client sent no sampled trace context
                      (0-100, default 1 with --trace-otlp); W3C traceparent is propagated
`;

export const TELEMETRY_OPTIONS = {
  'access-log': { type: 'string' },
  'access-log-format': { type: 'string' },
  'access-log-redact': { type: 'string' },
  redact: { type: 'string' },
  'access-log-sampling': { type: 'string' },
  'metrics-per-method': { type: 'boolean', default: false },
  'no-metrics': { type: 'boolean', default: false },
  workload: { type: 'string' },
  'trace-otlp': { type: 'string' },
  'trace-sampling': { type: 'string' },
} as const;

interface TelemetryValues {
  readonly 'access-log'?: string | undefined;
  readonly 'access-log-format'?: string | undefined;
  readonly 'access-log-redact'?: string | undefined;
  readonly redact?: string | undefined;
  readonly 'access-log-sampling'?: string | undefined;
  readonly 'metrics-per-method'?: boolean | undefined;
  readonly 'no-metrics'?: boolean | undefined;
  readonly workload?: string | undefined;
  readonly 'trace-otlp'?: string | undefined;
  readonly 'trace-sampling'?: string | undefined;
}

/** The telemetry settings from parsed options; a bad format string is a usage error. */
export function telemetryOptions(values: TelemetryValues): TelemetryOptions {
  const format = values['access-log-format'];
  if (format !== undefined && format !== 'json') {
    try {
      compileAccessLogFormat(format);
    } catch (err) {
      throw new AerakiError(ErrorCodes.CLI_USAGE, `--access-log-format: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (format !== undefined && values['access-log'] === undefined) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--access-log-format needs --access-log PATH`);
  }
  const path = values['access-log'];
  const logSampling = values['access-log-sampling'];
  if (logSampling !== undefined && path === undefined) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--access-log-sampling needs --access-log PATH`);
  }
  const successPercent = logSampling === undefined ? 100 : percentage('--access-log-sampling', logSampling);
  const workload = values.workload ?? 'unknown';
  const sampling = values['trace-sampling'];
  const samplingPercent = sampling === undefined ? 1 : percentage('--trace-sampling', sampling);
  const otlp = values['trace-otlp'];
  if (otlp !== undefined && !/^https?:\/\//.test(otlp)) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--trace-otlp must be an http(s) URL, got '${otlp}'`);
  }
  const tracing =
    otlp === undefined && sampling === undefined
      ? undefined
      : {
          samplingPercent,
          ...(otlp === undefined ? {} : { otlpEndpoint: otlp }),
          serviceName: workload === 'unknown' ? 'aeraki-proxy' : workload,
        };
  return {
    ...(tracing === undefined ? {} : { tracing }),
    metrics:
      values['no-metrics'] === true
        ? false
        : {
            perMethod: values['metrics-per-method'] === true,
            source: { workload, namespace: 'unknown', app: workload, version: 'unknown', cluster: 'unknown' },
          },
    ...(path === undefined
      ? {}
      : {
          accessLog: {
            path,
            ...(format === undefined ? {} : { format }),
            ...(successPercent === 100 ? {} : { successSamplingPercent: successPercent }),
          },
        }),
    redaction: redactionSpec(values.redact, values['access-log-redact']),
  };
}

/** `--redact` (name parts; default the built-in list, `none` = none) and `--access-log-redact` (names). */
function redactionSpec(parts: string | undefined, names: string | undefined): RedactionSpec {
  const nameParts =
    parts === undefined ? DEFAULT_REDACTED_NAME_PARTS : parts.trim() === 'none' ? [] : commaList(parts);
  return { nameParts, names: commaList(names ?? '') };
}

function commaList(text: string): string[] {
  return text
    .split(',')
    .map(item => item.trim().toLowerCase())
    .filter(item => item !== '');
}

function percentage(option: string, text: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!(value >= 0 && value <= 100)) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `${option} must be a percentage 0-100, got '${text}'`);
  }
  return value;
}
