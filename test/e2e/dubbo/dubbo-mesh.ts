/**
 * Config builders for Dubbo services, next to the harness's generic ones (DestinationRule, MetaRouter,
 * destinations, config directories): a ServiceEntry whose port selects the Dubbo codec.
 */
import type { ConfigDocument, EndpointSpec } from '../harness/index.js';

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
  const portName = dubboPortName(spec.name);
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'ServiceEntry',
    metadata: { name: spec.name, namespace: 'default' },
    spec: {
      hosts: [spec.host],
      addresses: [...spec.addresses],
      ports: [{ number: spec.port, name: portName, protocol: 'TCP' }],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      endpoints: spec.endpoints.map(e => ({
        address: e.address,
        ports: { [portName]: e.port },
        labels: { ...e.labels },
      })),
    },
  };
}

/** A MetaRouter attribute match with one string matcher, e.g. `attributeMatch('method', {prefix: 'get'})`. */
export function attributeMatch(
  attribute: string,
  matcher: { readonly exact: string } | { readonly prefix: string } | { readonly regex: string },
): ConfigDocument {
  return { attributes: { [attribute]: { ...matcher } } };
}
