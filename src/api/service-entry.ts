/**
 * Istio `ServiceEntry` (networking.istio.io v1alpha3, v1beta1, v1): a service's hosts, virtual
 * addresses, ports and endpoints. A port named `tcp-metaprotocol-<protocol>[-…]` (also `tcp-thrift[-…]`,
 * `tcp-dubbo[-…]`) puts the service behind the MetaProtocol proxy.
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';

/** Port of a service. */
export interface ServicePort {
  /** Port clients connect to on the service's addresses, 1..65535. */
  readonly number: number;
  /** Istio protocol (`TCP` for MetaProtocol ports, since Aeraki replaces Istio's TCP proxy). */
  readonly protocol?: string;
  /** Port name; its dash-segments select the layer-7 protocol (see `selectPortProtocol`). */
  readonly name: string;
  /** Port on the endpoints when they name none in `endpoints[].ports`; defaults to `number`. */
  readonly targetPort?: number;
}

/** One endpoint of the service (Istio `WorkloadEntry`). */
export interface WorkloadEntry {
  /** IP address for `STATIC` resolution, host name for `DNS`. */
  readonly address?: string;
  /** Endpoint port per service port name; wins over `targetPort` and the port number. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Labels selected by DestinationRule subsets (`version: v1`). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly network?: string;
  readonly locality?: string;
  /** Relative load-balancing weight; 0 or absent means 1. */
  readonly weight?: number;
  readonly serviceAccount?: string;
}

export const serviceEntryLocations = ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const;
export const serviceEntryResolutions = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const;

export interface ServiceEntrySpec {
  /**
   * Host names of the service. `hosts[0]` names the MetaProtocol route table (`<hosts[0]>_<port>`) and
   * the stats prefix, as in Aeraki; clusters are built for every host, so a MetaRouter may route to any.
   */
  readonly hosts: readonly string[];
  /** Virtual IPs. The proxy listens on each at every MetaProtocol port (any 127.x.y.z works locally). */
  readonly addresses?: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly location?: (typeof serviceEntryLocations)[number];
  /** How endpoints are found; default `NONE` as in Istio. */
  readonly resolution?: (typeof serviceEntryResolutions)[number];
  readonly endpoints?: readonly WorkloadEntry[];
  /** Selects WorkloadEntries / pods (Kubernetes mode); no endpoints are derived from it locally. */
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
  readonly exportTo?: readonly string[];
  readonly subjectAltNames?: readonly string[];
}

export type ServiceEntry = Resource<'ServiceEntry', ServiceEntrySpec>;

const portNumber = z.number().int().min(1).max(65535);

const servicePortSchema = z.strictObject({
  number: portNumber,
  protocol: z.string().optional(),
  name: z.string().min(1),
  targetPort: portNumber.optional(),
});

const workloadEntrySchema = z.strictObject({
  address: z.string().min(1).optional(),
  ports: z.record(z.string(), portNumber).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: z.number().int().min(0).max(4294967295).optional(),
  serviceAccount: z.string().optional(),
});

export const serviceEntrySpecSchema: z.ZodType<ServiceEntrySpec> = z.strictObject({
  hosts: z.array(z.string()).min(1),
  addresses: z.array(z.string()).optional(),
  ports: z.array(servicePortSchema).min(1),
  location: z.enum(serviceEntryLocations).optional(),
  resolution: z.enum(serviceEntryResolutions).optional(),
  endpoints: z.array(workloadEntrySchema).optional(),
  workloadSelector: z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});
