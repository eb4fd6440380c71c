/**
 * The rate-limit filters inside MetaProtocolProxy: our protos carry the original's package, message
 * names and field numbers; listeners with rate limits round-trip; bad filter configs are refused with
 * a reason naming the listener, the field path and the rule (what a NACK's error_detail says).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/errors.js';
import {
  decodeListener,
  encodeListener,
  encodeMessage,
  packAny,
  protoType,
  type ListenerResource,
  type ProtoObject,
} from '../../../src/xds/index.js';

const LOCAL = 'aeraki.meta_protocol_proxy.filters.local_ratelimit.v1alpha';
const GLOBAL = 'aeraki.meta_protocol_proxy.filters.ratelimit.v1alpha';
const ROUTE_MATCH = 'aeraki.meta_protocol_proxy.config.route.v1alpha.RouteMatch';

/** message → field → [number, type, repeated?] (metaprotocol.md §4.4, §4.5). */
const ORIGINAL: Record<string, Record<string, [number, string, boolean?]>> = {
  [`${LOCAL}.LocalRateLimit`]: {
    stat_prefix: [1, 'string'],
    token_bucket: [2, 'envoy.type.v3.TokenBucket'],
    conditions: [3, `${LOCAL}.LocalRateLimitCondition`, true],
  },
  [`${LOCAL}.LocalRateLimitCondition`]: {
    match: [1, ROUTE_MATCH],
    token_bucket: [2, 'envoy.type.v3.TokenBucket'],
  },
  [`${GLOBAL}.RateLimit`]: {
    match: [1, ROUTE_MATCH],
    domain: [2, 'string'],
    timeout: [3, 'google.protobuf.Duration'],
    failure_mode_deny: [4, 'bool'],
    rate_limit_service: [5, 'envoy.config.ratelimit.v3.RateLimitServiceConfig'],
    descriptors: [6, `${GLOBAL}.Descriptor`, true],
  },
  [`${GLOBAL}.Descriptor`]: { property: [1, 'string'], descriptor_key: [2, 'string'] },
};

const BASE: ListenerResource = {
  name: '127.0.0.10_9090',
  address: '127.0.0.10',
  port: 9090,
  protocol: 'thrift',
  codec: 'aeraki.meta_protocol.codec.thrift',
  routeConfigName: 'svc_9090',
  statPrefix: 'outbound|9090||svc',
  idleTimeoutMs: 0,
  requestTimeoutMs: 15000,
  multiplexing: true,
};

const LIMITED: ListenerResource = {
  ...BASE,
  localRateLimit: {
    tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 },
    conditions: [
      {
        match: [{ name: 'method', kind: 'exact', value: 'sayHello' }],
        tokenBucket: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 60_000 },
      },
    ],
  },
  globalRateLimit: {
    match: [{ name: 'method', kind: 'prefix', value: 'say' }],
    domain: 'production',
    timeoutMs: 100,
    failureModeDeny: true,
    rateLimitCluster: 'outbound|8081||rls',
    descriptors: [{ property: 'method', descriptorKey: 'method' }],
  },
};

/** The listener's MetaProtocolProxy config with `filters` in place of its filter list. */
function listenerWithFilters(filters: ProtoObject[]): Uint8Array {
  const listener = protoType('envoy.config.listener.v3.Listener');
  const decoded = listener.toObject(listener.decode(encodeListener(BASE))) as ProtoObject;
  const chain = (decoded['filter_chains'] as ProtoObject[])[0]!;
  const filter = (chain['filters'] as ProtoObject[])[0]!;
  const any = filter['typed_config'] as { type_url: string; value: Uint8Array };
  const proxyType = protoType('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy');
  const proxy = proxyType.toObject(proxyType.decode(any.value)) as ProtoObject;
  proxy['meta_protocol_filters'] = [...filters, { name: 'aeraki.meta_protocol.filters.router' }];
  filter['typed_config'] = packAny('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy', proxy);
  return encodeMessage('envoy.config.listener.v3.Listener', decoded);
}

function localFilter(config: ProtoObject): ProtoObject {
  return {
    name: 'aeraki.meta_protocol.filters.local_ratelimit',
    config: packAny(`${LOCAL}.LocalRateLimit`, { stat_prefix: 's', ...config }),
  };
}

const GOOD_GLOBAL: ProtoObject = {
  domain: 'production',
  rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: 'rls' } } },
  descriptors: [{ property: 'method', descriptor_key: 'method' }],
};

function globalFilter(config: ProtoObject): ProtoObject {
  return {
    name: 'aeraki.meta_protocol.filters.ratelimit',
    config: packAny(`${GLOBAL}.RateLimit`, config),
  };
}

function rejects(bytes: Uint8Array, message: RegExp): void {
  assert.throws(
    () => decodeListener(bytes),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, ErrorCodes.XDS_INVALID_RESOURCE);
      assert.match((err as Error).message, message);
      return true;
    },
  );
}

const AT = 'filter_chains\\[0\\]\\.filters\\[0\\]\\.typed_config\\.meta_protocol_filters\\[0\\]\\.config';

describe('rate-limit filter protos', () => {
  for (const [message, fields] of Object.entries(ORIGINAL)) {
    test(`${message} has the original's field numbers and types`, () => {
      const type = protoType(message);
      for (const [name, [id, typeName, repeated]] of Object.entries(fields)) {
        const field = type.fields[name];
        assert.ok(field !== undefined, `${name} missing`);
        assert.equal(field.id, id, `${name} number`);
        const actual = field.resolvedType === null ? field.type : field.resolvedType.fullName.slice(1);
        assert.equal(actual, typeName, `${name} type`);
        assert.equal(field.repeated, repeated === true, `${name} repeated`);
      }
      assert.deepEqual(Object.keys(type.fields).sort(), Object.keys(fields).sort());
    });
  }
});

describe('listeners with rate limits', () => {
  test('round-trip: local then global filter, before the router', () => {
    const bytes = encodeListener(LIMITED);
    assert.deepEqual(decodeListener(bytes).listener, LIMITED);
    const listener = protoType('envoy.config.listener.v3.Listener');
    const json = JSON.stringify(listener.toObject(listener.decode(bytes), { json: true }));
    assert.ok(
      json.indexOf('filters.local_ratelimit') < json.indexOf('filters.ratelimit') &&
        json.indexOf('filters.ratelimit') < json.indexOf('filters.router'),
    );
  });

  test("Aeraki's shape decodes: tokens_per_fill absent means 1, timeout absent means 20ms", () => {
    const { listener } = decodeListener(
      listenerWithFilters([
        localFilter({ token_bucket: { max_tokens: 3, fill_interval: { seconds: 10 } } }),
        globalFilter(GOOD_GLOBAL),
      ]),
    );
    assert.deepEqual(listener.localRateLimit, {
      tokenBucket: { maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 10_000 },
      conditions: [],
    });
    assert.equal(listener.globalRateLimit?.timeoutMs, 20);
    assert.equal(listener.globalRateLimit?.failureModeDeny, false);
    assert.deepEqual(listener.globalRateLimit?.match, []);
  });

  test('bad local rate limit configs are refused with the field and rule', () => {
    rejects(
      listenerWithFilters([{ name: 'aeraki.meta_protocol.filters.local_ratelimit' }]),
      new RegExp(
        `${AT}: is required \\(type\\.googleapis\\.com/${LOCAL.replace(/\./g, '\\.')}\\.LocalRateLimit\\)`,
      ),
    );
    rejects(listenerWithFilters([localFilter({})]), new RegExp(`${AT}: needs token_bucket or conditions`));
    rejects(
      listenerWithFilters([localFilter({ token_bucket: { max_tokens: 0, fill_interval: { seconds: 1 } } })]),
      new RegExp(`${AT}\\.token_bucket\\.max_tokens: must be at least 1, got 0`),
    );
    rejects(
      listenerWithFilters([
        localFilter({ token_bucket: { max_tokens: 1, fill_interval: { nanos: 20_000_000 } } }),
      ]),
      new RegExp(`${AT}\\.token_bucket\\.fill_interval: must be at least 50ms, got 20ms`),
    );
    rejects(
      listenerWithFilters([
        localFilter({
          conditions: [{ match: { metadata: [{ name: 'method', exact_match: 'x' }] } }],
        }),
      ]),
      new RegExp(`${AT}\\.conditions\\[0\\]\\.token_bucket: is required`),
    );
    rejects(
      listenerWithFilters([
        {
          name: 'aeraki.meta_protocol.filters.local_ratelimit',
          config: packAny(`${GLOBAL}.RateLimit`, GOOD_GLOBAL),
        },
      ]),
      new RegExp(`${AT}: must be .*LocalRateLimit, got .*ratelimit\\.v1alpha\\.RateLimit`),
    );
  });

  test('bad global rate limit configs are refused with the field and rule', () => {
    rejects(
      listenerWithFilters([globalFilter({ ...GOOD_GLOBAL, domain: '' })]),
      new RegExp(`${AT}\\.domain: must not be empty`),
    );
    rejects(
      listenerWithFilters([globalFilter({ ...GOOD_GLOBAL, descriptors: [] })]),
      new RegExp(`${AT}\\.descriptors: must not be empty`),
    );
    rejects(
      listenerWithFilters([globalFilter({ ...GOOD_GLOBAL, descriptors: [{ property: 'method' }] })]),
      new RegExp(`${AT}\\.descriptors\\[0\\]\\.descriptor_key: must not be empty`),
    );
    rejects(
      listenerWithFilters([globalFilter({ ...GOOD_GLOBAL, rate_limit_service: undefined })]),
      new RegExp(`${AT}\\.rate_limit_service: is required`),
    );
    rejects(
      listenerWithFilters([
        globalFilter({
          ...GOOD_GLOBAL,
          rate_limit_service: { grpc_service: { google_grpc: { target_uri: 'x', stat_prefix: 's' } } },
        }),
      ]),
      new RegExp(`${AT}\\.rate_limit_service\\.grpc_service\\.google_grpc: is not supported; use envoy_grpc`),
    );
  });

  test('a rate-limit filter listed twice or after the router is refused', () => {
    rejects(
      listenerWithFilters([globalFilter(GOOD_GLOBAL), globalFilter(GOOD_GLOBAL)]),
      /meta_protocol_filters\[1\]: filter "aeraki\.meta_protocol\.filters\.ratelimit" is listed twice/,
    );
    const listener = protoType('envoy.config.listener.v3.Listener');
    const bytes = listenerWithFilters([]);
    const decoded = listener.toObject(listener.decode(bytes)) as ProtoObject;
    const filter = ((decoded['filter_chains'] as ProtoObject[])[0]!['filters'] as ProtoObject[])[0]!;
    const proxyType = protoType('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy');
    const any = filter['typed_config'] as { value: Uint8Array };
    const proxy = proxyType.toObject(proxyType.decode(any.value)) as ProtoObject;
    proxy['meta_protocol_filters'] = [
      { name: 'aeraki.meta_protocol.filters.router' },
      globalFilter(GOOD_GLOBAL),
    ];
    filter['typed_config'] = packAny('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy', proxy);
    rejects(
      encodeMessage('envoy.config.listener.v3.Listener', decoded),
      /meta_protocol_filters: must end with aeraki\.meta_protocol\.filters\.router/,
    );
  });
});
