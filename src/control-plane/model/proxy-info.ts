/**
 * What the control plane knows of a connected proxy: what its node says (id, namespace, workload,
 * labels, as Istio's proxies report them in node metadata) and, on the TLS port, who it proved to be.
 * Scoping uses the proven identity's namespace whenever there is one, whatever the node claims.
 */
import type { XdsNode } from '../../xds/index.js';

/** A proxy's proven identity: a workload of a namespace running as a service account. */
export interface ProxyIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The SPIFFE trust domain (`cluster.local`). */
  readonly trustDomain: string;
  /** `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`. */
  readonly principal: string;
  /** How it was proven: a client certificate, or a service-account token. */
  readonly method: 'mtls' | 'token';
}

export interface ProxyInfo {
  readonly nodeId: string;
  /** The namespace its node names (metadata `NAMESPACE`, else the node id's DNS domain). */
  readonly claimedNamespace?: string;
  /** Metadata `WORKLOAD_NAME`. */
  readonly workload?: string;
  /** Metadata `LABELS`: what a Sidecar's workloadSelector matches. */
  readonly labels: Readonly<Record<string, string>>;
  readonly identity?: ProxyIdentity;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** The namespace a proxy is scoped by: its identity's, else the one its node names, else none. */
export function scopeNamespace(info: ProxyInfo): string | undefined {
  return info.identity?.namespace ?? info.claimedNamespace;
}

/**
 * What a node says of itself, read as Istio reads it: `NAMESPACE`, `WORKLOAD_NAME` and `LABELS` in
 * its metadata; without `NAMESPACE`, the first label of the DNS domain of an Istio node id
 * (`sidecar~10.1.2.3~pod.ns~ns.svc.cluster.local` is in `ns`).
 */
export function proxyInfoFromNode(node: XdsNode | undefined, identity?: ProxyIdentity): ProxyInfo {
  const id = node?.id ?? '';
  const metadata = node?.metadata ?? {};
  const text = (key: string): string | undefined => {
    const value = metadata[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const labels: Record<string, string> = {};
  const written = metadata['LABELS'];
  if (typeof written === 'object' && written !== null && !Array.isArray(written)) {
    for (const [key, value] of Object.entries(written)) if (typeof value === 'string') labels[key] = value;
  }
  const claimedNamespace = text('NAMESPACE') ?? namespaceOfNodeId(id);
  const workload = text('WORKLOAD_NAME');
  return {
    nodeId: id,
    ...(claimedNamespace === undefined ? {} : { claimedNamespace }),
    ...(workload === undefined ? {} : { workload }),
    labels: Object.keys(labels).length === 0 ? NO_LABELS : labels,
    ...(identity === undefined ? {} : { identity }),
  };
}

function namespaceOfNodeId(id: string): string | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const domain = parts[3]!.split('.');
  return domain.length > 1 && domain[0] !== '' ? domain[0] : undefined;
}
