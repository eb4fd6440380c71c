/**
 * The Istio objects the control plane writes for Envoy sidecars and gateways that run Aeraki's
 * MetaProtocol proxy image, in the shapes the original Aeraki writes:
 *
 * ```yaml
 * apiVersion: networking.istio.io/v1alpha3
 * kind: EnvoyFilter
 * metadata: {name: aeraki-outbound-<host>-<vip>-<port>, namespace: <ns>, labels: {manager: Aeraki}}
 * spec:
 *   workloadSelector: {labels: …}                        # inbound and gateway filters only
 *   configPatches:
 *   - applyTo: NETWORK_FILTER
 *     match: {listener: {name: <vip>_<port> | virtualInbound | 0.0.0.0_<port>,
 *                        filterChain: {destinationPort: <port>?,                # inbound only
 *                                      filter: {name: envoy.filters.network.tcp_proxy}}}}
 *     patch: {operation: REPLACE | INSERT_BEFORE,
 *             value: {name: <filter>, typed_config: {"@type": type.googleapis.com/udpa.type.v1.TypedStruct,
 *                                                    type_url: <config type>, value: <proto3 JSON>}}}
 * ```
 *
 * The TypedStruct `value` is proto3 JSON with the field names the protos declare (snake_case, what
 * Envoy's config dumps show), not the lowerCamelCase the original wrote (mpp#126).
 */
import { typeUrlOf } from '../../../xds/type-urls.js';
import { toProtoJson, type JsonValue } from '../../../xds/proto-json.js';
import type { ProtoObject } from '../../../xds/proto-message.js';
import { protoRootWithIstioFilters } from '../../../xds/proto-root.js';

/** The label on everything the control plane writes to Istio, and what it lists to reconcile. */
export const MANAGER_LABEL = { manager: 'Aeraki' } as const;

export const ENVOY_FILTER_API_VERSION = 'networking.istio.io/v1alpha3';
export const TYPED_STRUCT_TYPE_URL = typeUrlOf('udpa.type.v1.TypedStruct');

/** The Istio filter the patches replace (or insert before). */
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

export interface ListenerMatch {
  readonly name: string;
  readonly filterChain: {
    readonly destinationPort?: number;
    readonly filter: { readonly name: string };
  };
}

export interface ConfigPatch {
  readonly applyTo: 'NETWORK_FILTER' | 'CLUSTER';
  readonly match: { readonly listener?: ListenerMatch; readonly cluster?: { readonly name: string } };
  readonly patch: {
    readonly operation: 'REPLACE' | 'INSERT_BEFORE' | 'MERGE' | 'ADD' | 'REMOVE';
    readonly value?: Readonly<Record<string, JsonValue>>;
  };
}

export interface ObjectMetaOut {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** An EnvoyFilter as written to the API server. */
export interface EnvoyFilterObject {
  readonly apiVersion: typeof ENVOY_FILTER_API_VERSION;
  readonly kind: 'EnvoyFilter';
  readonly metadata: ObjectMetaOut;
  readonly spec: {
    readonly workloadSelector?: { readonly labels: Readonly<Record<string, string>> };
    readonly configPatches: readonly ConfigPatch[];
  };
}

/** The VirtualService that makes Istio open a gateway's TCP listener for a MetaProtocol port. */
export interface GatewayVirtualServiceObject {
  readonly apiVersion: 'networking.istio.io/v1alpha3';
  readonly kind: 'VirtualService';
  readonly metadata: ObjectMetaOut;
  readonly spec: {
    readonly hosts: readonly string[];
    readonly gateways: readonly string[];
    readonly tcp: readonly {
      readonly match: readonly { readonly port: number }[];
      readonly route: readonly {
        readonly destination: { readonly host: string; readonly port: { readonly number: number } };
      }[];
    }[];
  };
}

/** A network filter config wrapped in a TypedStruct: `config` (a plain object) becomes proto3 JSON. */
export function typedStructFilter(
  filterName: string,
  messageName: string,
  config: ProtoObject,
  typeUrl = typeUrlOf(messageName),
): Record<string, JsonValue> {
  protoRootWithIstioFilters();
  return {
    name: filterName,
    typed_config: {
      '@type': TYPED_STRUCT_TYPE_URL,
      type_url: typeUrl,
      value: toProtoJson(messageName, config),
    },
  };
}

/** A patch of the Istio TCP proxy filter of a listener. */
export function networkFilterPatch(
  listener: string,
  operation: 'REPLACE' | 'INSERT_BEFORE',
  value: Record<string, JsonValue>,
  destinationPort?: number,
): ConfigPatch {
  return {
    applyTo: 'NETWORK_FILTER',
    match: {
      listener: {
        name: listener,
        filterChain: {
          ...(destinationPort === undefined ? {} : { destinationPort }),
          filter: { name: TCP_PROXY_FILTER },
        },
      },
    },
    patch: { operation, value },
  };
}

export function envoyFilter(
  name: string,
  namespace: string,
  configPatches: readonly ConfigPatch[],
  workloadSelector?: Readonly<Record<string, string>>,
): EnvoyFilterObject {
  return {
    apiVersion: ENVOY_FILTER_API_VERSION,
    kind: 'EnvoyFilter',
    metadata: { name, namespace, labels: { ...MANAGER_LABEL } },
    spec: {
      ...(workloadSelector === undefined ? {} : { workloadSelector: { labels: { ...workloadSelector } } }),
      configPatches,
    },
  };
}

/** `outbound|<port>||<host>` and `inbound|<port>||`, Istio's cluster and stat prefix names. */
export function outboundName(port: number, host: string, subset = ''): string {
  return `outbound|${port}|${subset}|${host}`;
}

export function inboundName(port: number): string {
  return `inbound|${port}||`;
}
