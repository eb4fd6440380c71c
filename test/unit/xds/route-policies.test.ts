/**
 * The per-route policy extensions (fault, retry policy) in both route encodings: the RDS Envoy
 * RouteConfiguration (retry_policy natively, the fault in typed_per_filter_config) and the inline
 * aeraki RouteConfiguration (fields numbered 1000+). They round-trip, and what the proxy cannot run is
 * rejected naming the field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/errors.js';
import {
  decodeRouteConfiguration,
  encodeMessage,
  encodeRouteConfiguration,
  metaRouteConfigurationFromProto,
  metaRouteConfigurationToProto,
  packAny,
  type ProtoObject,
  type RouteConfigResource,
  type RouteResource,
} from '../../../src/xds/index.js';

const ROUTES = 'envoy.config.route.v3.RouteConfiguration';
const FAULT = 'aeraki.meta_protocol_proxy.config.route.v1alpha.RouteFault';
const FAULT_KEY = 'aeraki.meta_protocol.filters.fault';

function route(overrides: Partial<RouteResource>): RouteResource {
  return {
    name: 'r',
    match: [],
    action: { cluster: 'c' },
    hashPolicy: [],
    mirrors: [],
    requestMutation: [],
    responseMutation: [],
    ...overrides,
  };
}

const TABLE: RouteConfigResource = {
  name: 't',
  routes: [
    route({
      name: 'chaos',
      fault: {
        delay: { fixedDelayMs: 200, percent: 50 },
        abort: { errorKind: 'unavailable', percent: 12.5, message: 'drill' },
      },
    }),
    route({ name: 'abort-only', fault: { abort: { errorKind: 'over-limit', percent: 100 } } }),
    route({
      name: 'resilient',
      timeoutMs: 2000,
      retryPolicy: { attempts: 2, perTryTimeoutMs: 300, retryOn: ['connect-failure', 'reset'] },
    }),
    route({ name: 'retry-no-per-try', retryPolicy: { attempts: 1, retryOn: ['connect-failure'] } }),
    // attempts 0 turns the default retries off: a zero must not come back as Envoy's default of 1.
    route({ name: 'no-retries', retryPolicy: { attempts: 0, retryOn: ['connect-failure'] } }),
  ],
};

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal((err as { code?: string }).code, ErrorCodes.XDS_INVALID_RESOURCE);
    assert.match((err as Error).message, message);
    return true;
  });
}

function rds(routeObject: ProtoObject): Uint8Array {
  return encodeMessage(ROUTES, {
    name: 't',
    virtual_hosts: [{ name: 'dummy', domains: ['*'], routes: [routeObject] }],
  });
}

describe('route policy extensions', () => {
  test('round-trip over RDS', () => {
    assert.deepEqual(decodeRouteConfiguration(encodeRouteConfiguration(TABLE)), TABLE);
  });

  test('round-trip inline', () => {
    assert.deepEqual(metaRouteConfigurationFromProto(metaRouteConfigurationToProto(TABLE), 'l', 'rc'), TABLE);
  });

  test('an RDS route carries the retry policy as Envoy does, and the fault under the filter key', () => {
    const proto = metaRouteConfigurationToProto(TABLE);
    const routes = proto['routes'] as ProtoObject[];
    assert.deepEqual((routes[2]!['route'] as ProtoObject)['retry_policy'], {
      retry_on: 'connect-failure,reset',
      num_retries: { value: 2 },
      per_try_timeout: { seconds: 0, nanos: 300_000_000 },
    });
    assert.deepEqual(routes[1]!['fault'], {
      abort: {
        error_kind: 'over-limit',
        message: '',
        percentage: { numerator: 1_000_000, denominator: 'MILLION' },
      },
    });
  });

  test('unset percentages mean every request; other denominators are read; unset num_retries is 1', () => {
    const decoded = decodeRouteConfiguration(
      rds({
        name: 'x',
        route: { cluster: 'c', retry_policy: { retry_on: 'reset' } },
        typed_per_filter_config: {
          [FAULT_KEY]: packAny(FAULT, {
            delay: { fixed_delay: { nanos: 5_000_000 } },
            abort: { error_kind: 'timeout', percentage: { numerator: 25, denominator: 'HUNDRED' } },
          }),
          'envoy.filters.http.other': packAny('google.protobuf.Struct', {}),
        },
      }),
    );
    assert.deepEqual(decoded.routes[0]?.fault, {
      delay: { fixedDelayMs: 5, percent: 100 },
      abort: { errorKind: 'timeout', percent: 25 },
    });
    assert.deepEqual(decoded.routes[0]?.retryPolicy, { attempts: 1, retryOn: ['reset'] });
  });

  test('rejects faults and retry policies the proxy cannot run, naming the field', () => {
    const withFault = (fault: ProtoObject): Uint8Array =>
      rds({
        name: 'x',
        route: { cluster: 'c' },
        typed_per_filter_config: { [FAULT_KEY]: packAny(FAULT, fault) },
      });
    rejects(
      () => decodeRouteConfiguration(withFault({ abort: { error_kind: 'teapot' } })),
      /abort\.error_kind: "teapot" is not one of unavailable, connect-failure, reset, timeout, over-limit, bad-request, internal/,
    );
    rejects(
      () => decodeRouteConfiguration(withFault({})),
      /typed_per_filter_config\["aeraki.meta_protocol.filters.fault"\]: needs a delay or an abort/,
    );
    rejects(
      () => decodeRouteConfiguration(withFault({ delay: { percentage: { numerator: 1 } } })),
      /delay\.fixed_delay: must be more than 0/,
    );
    rejects(
      () =>
        decodeRouteConfiguration(
          rds({
            name: 'x',
            route: { cluster: 'c' },
            typed_per_filter_config: { [FAULT_KEY]: packAny('google.protobuf.Struct', {}) },
          }),
        ),
      /must be type.googleapis.com\/aeraki.meta_protocol_proxy.config.route.v1alpha.RouteFault/,
    );
    rejects(
      () =>
        decodeRouteConfiguration(
          rds({ name: 'x', route: { cluster: 'c', retry_policy: { retry_on: '5xx' } } }),
        ),
      /route\.retry_policy\.retry_on: '5xx' is not supported; use connect-failure, reset/,
    );
  });
});
