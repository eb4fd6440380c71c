/**
 * What `aeraki proxy` tells the control plane about itself and how it connects: its namespace,
 * workload and labels in node metadata as Istio's proxies report them (NAMESPACE, WORKLOAD_NAME,
 * LABELS; on Kubernetes from the downward API: POD_NAMESPACE, POD_NAME, a labels file), an Istio node
 * id, and the TLS xDS port's credentials (a client certificate with the proxy's SPIFFE ID, or a
 * service-account token).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, networkInterfaces } from 'node:os';
import type * as Grpc from '@grpc/grpc-js';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { XdsConnection } from '../xds/ads-client.js';

const require = createRequire(import.meta.url);

/**
 * gRPC, loaded when the xDS client first connects over TLS (which loads it anyway): a proxy that
 * runs a static config never holds it. With `require`, because the credentials are made
 * synchronously, on each connection.
 */
function grpc(): typeof Grpc {
  return require('@grpc/grpc-js') as typeof Grpc;
}

export const PROXY_IDENTITY_USAGE = `Identity (what the control plane scopes this proxy by):
  --namespace NS      the proxy's namespace (default $POD_NAMESPACE): it is sent only what is
                      exported to NS and its Sidecar imports (on the TLS port, its certificate's
                      namespace decides instead)
  --workload NAME     its workload name (default $POD_NAME)
  --labels K=V,…      its labels, which a Sidecar's workloadSelector matches
  --labels-file FILE  labels in the downward API's format (key="value" per line)
TLS xDS (the control plane's TLS port, 15012):
  --xds-ca FILE       the CA the control plane's certificate must chain to (turns TLS on)
  --xds-cert FILE, --xds-key FILE
                      this proxy's client certificate (its SPIFFE ID, spiffe://<trust
                      domain>/ns/<namespace>/sa/<service account>, as URI SAN) and key; read
                      again on every reconnection
  --xds-token-file FILE
                      a service-account token sent as 'authorization: Bearer' (Kubernetes: a
                      projected token for the control plane's audience, istio-ca by default);
                      read again on every connection, so the kubelet's renewal is used
  --xds-server-name NAME
                      the name the control plane's certificate must carry (default: the host
                      of --xds)
`;

export const PROXY_IDENTITY_OPTIONS = {
  namespace: { type: 'string' },
  workload: { type: 'string' },
  labels: { type: 'string' },
  'labels-file': { type: 'string' },
  'xds-ca': { type: 'string' },
  'xds-cert': { type: 'string' },
  'xds-key': { type: 'string' },
  'xds-token-file': { type: 'string' },
  'xds-server-name': { type: 'string' },
} as const;

type IdentityValues = { readonly [K in keyof typeof PROXY_IDENTITY_OPTIONS]?: string | undefined };

/** What goes into the proxy's node. */
export interface ProxyNodeIdentity {
  readonly namespace?: string;
  /** Node metadata: NAMESPACE, WORKLOAD_NAME, LABELS (only those known). */
  readonly metadata: Record<string, unknown>;
}

function usage(message: string): AerakiError {
  return new AerakiError(ErrorCodes.CLI_USAGE, message);
}

/** `key="value"` lines (the downward API's labels file), or `k=v,k2=v2`. */
export function parseLabels(text: string, lines: boolean): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const raw of lines ? text.split('\n') : text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw usage(`labels must be key=value, got '${item}'`);
    let value = item.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = JSON.parse(value) as string;
    }
    labels[item.slice(0, eq)] = value;
  }
  return labels;
}

export function proxyNodeIdentity(values: IdentityValues, env = process.env): ProxyNodeIdentity {
  const namespace = values.namespace ?? nonEmpty(env['POD_NAMESPACE']);
  const workload = values.workload ?? nonEmpty(env['POD_NAME']);
  let labels: Record<string, string> = {};
  if (values['labels-file'] !== undefined) {
    let text: string;
    try {
      text = readFileSync(values['labels-file'], 'utf8');
    } catch (err) {
      throw usage(`cannot read --labels-file ${values['labels-file']}: ${(err as Error).message}`);
    }
    labels = parseLabels(text, true);
  }
  if (values.labels !== undefined) labels = { ...labels, ...parseLabels(values.labels, false) };
  return {
    ...(namespace === undefined ? {} : { namespace }),
    metadata: {
      ...(namespace === undefined ? {} : { NAMESPACE: namespace }),
      ...(workload === undefined ? {} : { WORKLOAD_NAME: workload }),
      ...(Object.keys(labels).length === 0 ? {} : { LABELS: labels }),
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The first non-internal IPv4 address, else 127.0.0.1 (the IP part of an Istio node id). */
function ownAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * The default node id: Istio's `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local` when the
 * namespace is known, else `sidecar~<hostname>~<pid>`.
 */
export function defaultNodeId(namespace: string | undefined, env = process.env): string {
  if (namespace === undefined) return `sidecar~${hostname()}~${process.pid}`;
  const pod = nonEmpty(env['POD_NAME']) ?? hostname();
  return `sidecar~${ownAddress()}~${pod}.${namespace}~${namespace}.svc.cluster.local`;
}

function readOption(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${option} ${path}: ${(err as Error).message}`);
  }
}

/** The TLS xDS connection the options ask for; undefined for plaintext. */
export function xdsConnection(values: IdentityValues): XdsConnection | undefined {
  const ca = values['xds-ca'];
  const cert = values['xds-cert'];
  const key = values['xds-key'];
  const token = values['xds-token-file'];
  if ((cert === undefined) !== (key === undefined))
    throw usage('give both --xds-cert and --xds-key, or neither');
  if (ca === undefined) {
    if (cert !== undefined || token !== undefined)
      throw usage('--xds-cert, --xds-key and --xds-token-file need --xds-ca (the TLS port)');
    return undefined;
  }
  const serverName = values['xds-server-name'];
  return {
    credentials: () =>
      grpc().credentials.createSsl(
        readOption(ca, '--xds-ca'),
        key === undefined ? null : readOption(key, '--xds-key'),
        cert === undefined ? null : readOption(cert, '--xds-cert'),
      ),
    ...(token === undefined
      ? {}
      : {
          metadata: () => {
            const metadata = new (grpc().Metadata)();
            metadata.set(
              'authorization',
              `Bearer ${readOption(token, '--xds-token-file').toString('utf8').trim()}`,
            );
            return metadata;
          },
        }),
    ...(serverName === undefined ? {} : { channelOptions: { 'grpc.ssl_target_name_override': serverName } }),
  };
}
