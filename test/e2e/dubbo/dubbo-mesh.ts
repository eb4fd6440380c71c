/**
 * Config builders for Dubbo services, next to the harness's generic ones (DestinationRule, MetaRouter,
 * destinations, config directories): a ServiceEntry whose port selects the Dubbo codec.
 */
import { staticServiceEntry, type ConfigDocument, type EndpointSpec } from '../harness/index.js';

/** The port name that selects the MetaProtocol proxy with the Dubbo codec. */
export function dubboPortName(name: string): string {
  return `tcp-metaprotocol-dubbo-${name}`;
}

export interface DubboServiceEntrySpec {
  /** metadata.name; also the suffix of the port name. */
  readonly name: string;
  readonly host: string;
  /** The addresses the proxy listens on (each at `port`). */
  readonly addresses: readonly string[];
  readonly port: number;
  readonly endpoints: readonly EndpointSpec[];
}

export function dubboServiceEntry(spec: DubboServiceEntrySpec): ConfigDocument {
  return staticServiceEntry(spec, dubboPortName(spec.name));
}

/** A MetaRouter attribute match with one string matcher, e.g. `attributeMatch('method', {prefix: 'get'})`. */
export function attributeMatch(
  attribute: string,
  matcher: { readonly exact: string } | { readonly prefix: string } | { readonly regex: string },
): ConfigDocument {
  return { attributes: { [attribute]: { ...matcher } } };
}
