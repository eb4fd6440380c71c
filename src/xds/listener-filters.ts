/**
 * The entries of `MetaProtocolProxy.meta_protocol_filters` other than the router and the rate limits
 * (rate-limit-filters.ts) ⇄ our listener's filter chain:
 *
 * ```
 * MetaProtocolFilter { name: "aeraki.meta_protocol.filters.<name>",
 *   config?: Any {
 *     type_url: "type.googleapis.com/xds.type.v3.TypedStruct",         // written; udpa.type.v1 accepted
 *     value: TypedStruct { type_url: "type.aeraki.io/<filter name>",   // names the filter
 *                          value: google.protobuf.Struct } } }          // the filter's config (JSON)
 * ```
 *
 * A filter that is not built into aeraki has no compiled proto for its config, so its config travels
 * as a Struct inside a TypedStruct, Envoy's container for extension config whose schema the sender
 * lacks; the TypedStruct's own type URL names the filter, and its last path segment must be the
 * filter's name. A bare `google.protobuf.Struct` is accepted too, and no config means `{}`. Which
 * filters exist, and whether their config is right, is the proxy's filter registry's business: an
 * unknown filter or a bad config rejects the listener when the proxy builds it, not here.
 */
import { invalidResource } from './invalid-resource.js';
import { packAny, unpackAny, type ProtoObject } from './proto-message.js';
import type { ListenerFilterResource, ListenerResource } from './resources.js';
import {
  ConfigTypeUrls,
  FILTER_CONFIG_TYPE_URL_PREFIX,
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
  messageNameOf,
} from './type-urls.js';
import { jsonFromStruct, structFromJson } from './well-known.js';
import type { AnyMessage } from './xds-resource.js';

/** The `meta_protocol_filters` entry of a filter configured through the registry. */
export function filterEntryToProto(filter: ListenerFilterResource): ProtoObject {
  if (filter.config === undefined) return { name: filter.name };
  return {
    name: filter.name,
    config: packAny(messageNameOf(ConfigTypeUrls.typedStruct), {
      type_url: FILTER_CONFIG_TYPE_URL_PREFIX + filter.name,
      value: structFromJson(filter.config),
    }),
  };
}

/** A registry filter's entry at `path`: its name and its config (JSON), if any. */
export function filterEntryFromProto(
  filter: ProtoObject,
  name: string,
  label: string,
  path: string,
): ListenerFilterResource {
  const any = filter['config'] as AnyMessage | undefined;
  if (any === undefined) return { name };
  const at = `${path}.config`;
  let message: ProtoObject;
  try {
    message = unpackAny(any);
  } catch (err) {
    throw invalidResource(
      label,
      at,
      `${any.type_url} cannot be decoded (${err instanceof Error ? err.message : String(err)}); a filter without a proto of its own takes xds.type.v3.TypedStruct`,
    );
  }
  if (any.type_url === ConfigTypeUrls.struct) return { name, config: jsonFromStruct(message) };
  if (any.type_url !== ConfigTypeUrls.typedStruct && any.type_url !== ConfigTypeUrls.udpaTypedStruct) {
    throw invalidResource(
      label,
      at,
      `${any.type_url} is not supported for filter ${JSON.stringify(name)}; use xds.type.v3.TypedStruct`,
    );
  }
  const typeUrl = typeof message['type_url'] === 'string' ? message['type_url'] : '';
  if (messageNameOf(typeUrl) !== name) {
    throw invalidResource(
      label,
      `${at}.type_url`,
      `${JSON.stringify(typeUrl)} does not name filter ${JSON.stringify(name)} (write ${FILTER_CONFIG_TYPE_URL_PREFIX}${name})`,
    );
  }
  const value = message['value'] as ProtoObject | undefined;
  return { name, config: value === undefined ? {} : jsonFromStruct(value) };
}

const RATE_LIMITS = [META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER, META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER];

/**
 * The chain as a listener keeps it: undefined when it is only the rate limits, in their default order
 * (local, then global), so that the same chain always has the same resource.
 */
export function normalFilterChain(
  chain: readonly ListenerFilterResource[],
): readonly ListenerFilterResource[] | undefined {
  const names = chain.map(f => f.name);
  const defaultOrder = RATE_LIMITS.filter(n => names.includes(n));
  const onlyRateLimits = names.length === defaultOrder.length && names.every((n, i) => n === defaultOrder[i]);
  return onlyRateLimits ? undefined : chain;
}

/** The filters before the router, in order: the listener's chain, or its rate limits. */
export function filterChainOf(listener: ListenerResource): readonly ListenerFilterResource[] {
  if (listener.filters !== undefined) return listener.filters;
  const chain: ListenerFilterResource[] = [];
  if (listener.localRateLimit !== undefined) chain.push({ name: META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER });
  if (listener.globalRateLimit !== undefined) chain.push({ name: META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER });
  return chain;
}
