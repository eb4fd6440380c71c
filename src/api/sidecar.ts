/**
 * Istio `Sidecar` (networking.istio.io v1alpha3, v1beta1, v1): which services the proxies of a
 * namespace, or of the workloads its `workloadSelector` picks, can reach. Aeraki reads its egress
 * scope: each `egress[].hosts` entry imports services as `namespace/dnsName`, where the namespace is
 * a name, `*` (any), `.` (the Sidecar's own) or `~` (none: `~/*` imports nothing), and the dnsName is a
 * host, `*.suffix` or `*` (every service of that namespace). An egress listener with a `port` imports
 * only that port of the services it names. Only what is exported to the proxy's namespace can be
 * imported. Which Sidecar a proxy gets: one in its namespace whose `workloadSelector` matches its
 * labels, else the one without a selector in its namespace, else the one without a selector in the
 * mesh's root namespace, else none (it sees every service exported to its namespace).
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';

/** One egress listener: the services it imports. */
export interface SidecarEgressListener {
  /** Restricts the listener's hosts to this port of theirs. */
  readonly port?: { readonly number?: number; readonly protocol?: string; readonly name?: string };
  /** Istio's listener address and capture mode: not used (the proxy listens on service addresses). */
  readonly bind?: string;
  readonly captureMode?: string;
  /** `namespace/dnsName` entries. */
  readonly hosts: readonly string[];
}

export interface SidecarSpec {
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
  readonly egress?: readonly SidecarEgressListener[];
  /** Istio's inbound settings and outbound policy: accepted, not used by the MetaProtocol proxy. */
  readonly ingress?: readonly unknown[];
  readonly outboundTrafficPolicy?: unknown;
  readonly inboundConnectionPool?: unknown;
}

export type Sidecar = Resource<'Sidecar', SidecarSpec>;

const egressListenerSchema = z.strictObject({
  port: z
    .strictObject({
      number: z.number().int().min(0).max(65535).optional(),
      protocol: z.string().optional(),
      name: z.string().optional(),
      targetPort: z.number().int().optional(),
    })
    .optional(),
  bind: z.string().optional(),
  captureMode: z.string().optional(),
  hosts: z.array(z.string()),
});

export const sidecarSpecSchema = z.strictObject({
  workloadSelector: z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  egress: z.array(egressListenerSchema).optional(),
  ingress: z.array(z.unknown()).optional(),
  outboundTrafficPolicy: z.unknown().optional(),
  inboundConnectionPool: z.unknown().optional(),
});

/** An egress host split into its parts: `namespace` as written (`*`, `.`, `~` or a name). */
export interface EgressHost {
  readonly namespace: string;
  readonly dnsName: string;
}

/** `namespace/dnsName`, or undefined when the entry has no `/`. */
export function parseEgressHost(entry: string): EgressHost | undefined {
  const slash = entry.indexOf('/');
  if (slash < 0) return undefined;
  return { namespace: entry.slice(0, slash), dnsName: entry.slice(slash + 1) };
}
