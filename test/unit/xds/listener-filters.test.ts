/**
 * A listener's filter chain over xDS: the registry's filters in `meta_protocol_filters`, in their
 * order among the rate limits, each config a Struct inside an `xds.type.v3.TypedStruct` whose type URL
 * names the filter (Envoy's container for extension config without a compiled proto). Decoding takes
 * the historical `udpa.type.v1.TypedStruct` and a bare Struct too, and refuses a TypedStruct that names
 * another filter or a config type it cannot read, naming the field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeListener,
  encodeListener,
  encodeMessage,
  metaProtocolProxyToProto,
  packAny,
  unpackAny,
  type AnyMessage,
  type ListenerResource,
  type ProtoObject,
} from '../../../src/xds/index.js';
import { structFromJson } from '../../../src/xds/well-known.js';

const DENY = 'aeraki.meta_protocol.filters.deny_tenant';
const AUDIT = 'aeraki.meta_protocol.filters.audit';
const LOCAL = 'aeraki.meta_protocol.filters.local_ratelimit';
const GLOBAL = 'aeraki.meta_protocol.filters.ratelimit';
const ROUTER = 'aeraki.meta_protocol.filters.router';

const BASE: ListenerResource = {
  name: '127.0.0.11_9090',
  address: '127.0.0.11',
  port: 9090,
  protocol: 'thrift',
  codec: 'aeraki.meta_protocol.codec.thrift',
  routeConfigName: 'svc_9090',
  statPrefix: 'outbound|9090||svc',
  requestTimeoutMs: 1000,
  multiplexing: true,
};

const BUCKET = { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 };
const GLOBAL_LIMIT = {
  match: [],
  domain: 'd',
  timeoutMs: 20,
  failureModeDeny: false,
  rateLimitCluster: 'outbound|8081||rls',
  descriptors: [{ property: 'method', descriptorKey: 'method' }],
};

/** The proxy config's filter entries, as sent. */
function sentFilters(listener: ListenerResource): ProtoObject[] {
  return metaProtocolProxyToProto(listener)['meta_protocol_filters'] as ProtoObject[];
}

/** A Listener whose proxy config lists `entries`, then the router. */
function listenerBytes(entries: ProtoObject[]): Uint8Array {
  const proxy = { ...metaProtocolProxyToProto(BASE), meta_protocol_filters: [...entries, { name: ROUTER }] };
  return encodeMessage('envoy.config.listener.v3.Listener', {
    name: BASE.name,
    address: { socket_address: { address: BASE.address, port_value: BASE.port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.meta_protocol_proxy',
            typed_config: packAny('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy', proxy),
          },
        ],
      },
    ],
  });
}

function typedStruct(message: string, typeUrl: string, config: Record<string, unknown>): AnyMessage {
  return packAny(message, { type_url: typeUrl, value: structFromJson(config) });
}

describe('listener filter chain', () => {
  const chained: ListenerResource = {
    ...BASE,
    localRateLimit: { tokenBucket: BUCKET, conditions: [] },
    globalRateLimit: GLOBAL_LIMIT,
    filters: [
      { name: DENY, config: { key: 'tenant', values: ['blocked'], nested: { on: true, n: 2 } } },
      { name: LOCAL },
      { name: AUDIT },
      { name: GLOBAL },
    ],
  };

  test('runs in the listed order, each config a Struct in a TypedStruct naming the filter', () => {
    const sent = sentFilters(chained);
    assert.deepEqual(
      sent.map(f => f['name']),
      [DENY, LOCAL, AUDIT, GLOBAL, ROUTER],
    );
    const any = sent[0]!['config'] as AnyMessage;
    assert.equal(any.type_url, 'type.googleapis.com/xds.type.v3.TypedStruct');
    assert.equal(unpackAny(any)['type_url'], `type.aeraki.io/${DENY}`);
    assert.equal(sent[2]!['config'], undefined, 'a filter given no config sends none');
  });

  test('decodes to the same listener', () => {
    assert.deepEqual(decodeListener(encodeListener(chained)).listener, chained);
  });

  test('rate limits alone in their default order need no chain; in another order they keep it', () => {
    const limited = { ...BASE, localRateLimit: chained.localRateLimit, globalRateLimit: GLOBAL_LIMIT };
    assert.deepEqual(decodeListener(encodeListener(limited)).listener, limited);
    const reordered = { ...limited, filters: [{ name: GLOBAL }, { name: LOCAL }] };
    assert.deepEqual(decodeListener(encodeListener(reordered)).listener, reordered);
  });

  test('takes udpa.type.v1.TypedStruct, a bare Struct, and no config as {}', () => {
    const decoded = decodeListener(
      listenerBytes([
        { name: DENY, config: typedStruct('udpa.type.v1.TypedStruct', `acme.io/x/${DENY}`, { a: 1 }) },
        { name: AUDIT, config: packAny('google.protobuf.Struct', structFromJson({ b: 'two' })) },
        { name: AUDIT, config: packAny('xds.type.v3.TypedStruct', { type_url: `type.aeraki.io/${AUDIT}` }) },
      ]),
    ).listener;
    assert.deepEqual(decoded.filters, [
      { name: DENY, config: { a: 1 } },
      { name: AUDIT, config: { b: 'two' } },
      { name: AUDIT, config: {} },
    ]);
  });

  test('refuses a TypedStruct naming another filter, naming the field', () => {
    assert.throws(
      () =>
        decodeListener(
          listenerBytes([
            { name: DENY, config: typedStruct('xds.type.v3.TypedStruct', `type.aeraki.io/${AUDIT}`, {}) },
          ]),
        ),
      /meta_protocol_filters\[0\]\.config\.type_url: "type\.aeraki\.io\/aeraki\.meta_protocol\.filters\.audit" does not name filter "aeraki\.meta_protocol\.filters\.deny_tenant"/,
    );
  });
});
