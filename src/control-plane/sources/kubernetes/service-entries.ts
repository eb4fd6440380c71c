/**
 * A plain Kubernetes Service as a ServiceEntry, as Istio's synthetic entries make one: a Service with
 * a port named for a protocol Aeraki serves (`tcp-metaprotocol-<protocol>-…`, `tcp-thrift-…`,
 * `tcp-dubbo-…`) works without writing a ServiceEntry.
 *
 * - hosts: `<name>.<namespace>.svc.<cluster domain>`; addresses: the cluster IPs; resolution STATIC.
 * - ports: the Service's ports whose names select a layer-7 protocol (others are left out: the
 *   proxy has nothing to do with them).
 * - endpoints: every ready address of the Service's EndpointSlices (joined by the
 *   `kubernetes.io/service-name` label), with the port each slice gives for each port name. Endpoint
 *   slices carry no pod labels, so DestinationRule subsets select nothing here: a service split by
 *   version needs a ServiceEntry with labelled endpoints.
 * - exportTo: the `networking.istio.io/exportTo` annotation (comma-separated), as Istio reads it.
 *
 * Headless Services (no cluster IP) and ExternalName Services are left out: the proxy listens on a
 * service's virtual address. A ServiceEntry naming the same host wins over the synthetic one.
 */
import { selectPortProtocol } from '../../../api/index.js';
import type { KubeObject } from './kube-client.js';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Istio's annotation for a Service's visibility. */
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

interface ServicePortObject {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
}

interface SlicePort {
  readonly name?: string;
  readonly port?: number;
}

interface SliceEndpoint {
  readonly addresses?: readonly string[];
  readonly conditions?: { readonly ready?: boolean; readonly terminating?: boolean };
}

/** The host name Istio gives a Service. */
export function serviceHost(name: string, namespace: string, clusterDomain: string): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}

/** True when a port name selects a protocol this control plane cares about. */
export function isMeshPortName(name: string | undefined): boolean {
  return name !== undefined && name !== '' && selectPortProtocol(name).family !== 'none';
}

/** The ServiceEntry document standing for `service`, or undefined when it has nothing for Aeraki. */
export function syntheticServiceEntry(
  service: KubeObject,
  slices: readonly KubeObject[],
  clusterDomain: string,
): Record<string, unknown> | undefined {
  const meta = service.metadata ?? {};
  const spec = (service['spec'] ?? {}) as {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly clusterIPs?: readonly string[];
    readonly ports?: readonly ServicePortObject[];
  };
  if (spec.type === 'ExternalName') return undefined;
  const ports = (spec.ports ?? []).filter(p => isMeshPortName(p.name) && typeof p.port === 'number');
  if (ports.length === 0) return undefined;
  const addresses = (spec.clusterIPs ?? (spec.clusterIP === undefined ? [] : [spec.clusterIP])).filter(
    ip => ip !== '' && ip !== 'None',
  );
  if (addresses.length === 0) return undefined;
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? 'default';
  const portNames = new Set(ports.map(p => p.name as string));

  // One endpoint per address: the ports it serves, by Service port name.
  const endpoints = new Map<string, Record<string, number>>();
  for (const slice of slices) {
    const slicePorts = ((slice['ports'] ?? []) as readonly SlicePort[]).filter(
      p => p.name !== undefined && portNames.has(p.name) && typeof p.port === 'number',
    );
    if (slicePorts.length === 0) continue;
    for (const endpoint of (slice['endpoints'] ?? []) as readonly SliceEndpoint[]) {
      // ready unset means ready (the API's own reading of the field).
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) {
        const entry = endpoints.get(address) ?? {};
        for (const port of slicePorts) entry[port.name as string] = port.port as number;
        endpoints.set(address, entry);
      }
    }
  }
  const exportTo = meta.annotations?.[EXPORT_TO_ANNOTATION]?.split(',')
    .map(s => s.trim())
    .filter(s => s !== '');

  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace },
    spec: {
      hosts: [serviceHost(name, namespace, clusterDomain)],
      addresses,
      ports: ports.map(p => ({ number: p.port, name: p.name, protocol: 'TCP' })),
      resolution: 'STATIC',
      location: 'MESH_INTERNAL',
      endpoints: [...endpoints.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([address, endpointPorts]) => ({ address, ports: endpointPorts })),
      ...(exportTo === undefined || exportTo.length === 0 ? {} : { exportTo }),
    },
  };
}
