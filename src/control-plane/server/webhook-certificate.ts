/**
 * The webhook's serving certificate and the trust the API server needs in it:
 *
 * - kept in a Secret (`kubernetes.io/tls`: tls.crt, tls.key, and ca.crt), so that every replica
 *   serves the same certificate; a replica that finds none, or one that expires within 30 days or
 *   does not name the webhook's service, makes a CA and a certificate for the service's names and
 *   writes them (of two replicas doing so at once, the second gets 409 and reads the first's);
 * - without a Secret, made in memory (one replica only: each would have its own CA);
 * - the CA is then written into the ValidatingWebhookConfiguration's `caBundle` for every webhook
 *   in it, only when it differs.
 */
import type { Logger } from 'pino';
import { CertificateAuthority, certificateDnsNames, certificateExpiry } from '../../net/tls-certificates.js';
import { KubeApiError, type KubeClient } from '../sources/kubernetes/kube-client.js';

export interface WebhookCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

/** A certificate closer than this to its end is replaced. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/** `svc.ns.svc` → the names a client may use for it. */
export function serviceDnsNames(service: string): string[] {
  const [name, namespace] = service.split('.');
  if (name === undefined || namespace === undefined) return [service];
  return [`${name}.${namespace}.svc`, `${name}.${namespace}`, name, `${name}.${namespace}.svc.cluster.local`];
}

function issue(dnsNames: readonly string[]): WebhookCertificate {
  const ca = CertificateAuthority.create('aeraki-webhook-ca');
  const serving = ca.issue({ dnsNames, ipAddresses: ['127.0.0.1'] });
  return { ...serving, caPem: ca.certPem };
}

function usable(certificate: WebhookCertificate, dnsNames: readonly string[]): boolean {
  try {
    const names = new Set(certificateDnsNames(certificate.certPem));
    return (
      certificateExpiry(certificate.certPem).getTime() - Date.now() > RENEW_BEFORE_MS &&
      dnsNames.every(n => names.has(n))
    );
  } catch {
    return false;
  }
}

interface SecretObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string>;
}

const decode = (value: string | undefined): string => Buffer.from(value ?? '', 'base64').toString('utf8');
const encode = (value: string): string => Buffer.from(value).toString('base64');

/** The certificate to serve: from the Secret, else made (and stored when there is a Secret to store it in). */
export async function webhookCertificate(options: {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly secret?: { readonly namespace: string; readonly name: string };
  readonly dnsNames: readonly string[];
}): Promise<WebhookCertificate> {
  const secret = options.secret;
  if (secret === undefined) return issue(options.dnsNames);
  const path = `/api/v1/namespaces/${encodeURIComponent(secret.namespace)}/secrets`;
  const read = async (): Promise<SecretObject | undefined> => {
    try {
      return await options.client.request<SecretObject>('GET', `${path}/${encodeURIComponent(secret.name)}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  };
  const existing = await read();
  const stored = (s: SecretObject | undefined): WebhookCertificate | undefined =>
    s === undefined
      ? undefined
      : {
          certPem: decode(s.data?.['tls.crt']),
          keyPem: decode(s.data?.['tls.key']),
          caPem: decode(s.data?.['ca.crt']),
        };
  const current = stored(existing);
  if (current !== undefined && usable(current, options.dnsNames)) return current;
  const made = issue(options.dnsNames);
  const body: SecretObject = {
    metadata: {
      name: secret.name,
      namespace: secret.namespace,
      ...(existing?.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: existing.metadata.resourceVersion }),
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': encode(made.certPem), 'tls.key': encode(made.keyPem), 'ca.crt': encode(made.caPem) },
  };
  try {
    if (existing === undefined)
      await options.client.request('POST', path, { body: { apiVersion: 'v1', kind: 'Secret', ...body } });
    else
      await options.client.request('PUT', `${path}/${encodeURIComponent(secret.name)}`, {
        body: { apiVersion: 'v1', kind: 'Secret', ...body },
      });
    options.logger.info(
      { secret: `${secret.namespace}/${secret.name}` },
      'webhook certificate made and stored',
    );
    return made;
  } catch (err) {
    if (err instanceof KubeApiError && (err.status === 409 || err.reason === 'AlreadyExists')) {
      // Another replica stored one first: serve that one.
      const theirs = stored(await read());
      if (theirs !== undefined) return theirs;
    }
    throw err;
  }
}

/** Writes `caPem` as the caBundle of every webhook of `configuration`; true when it changed anything. */
export async function patchCaBundle(
  client: KubeClient,
  configuration: string,
  caPem: string,
): Promise<boolean> {
  const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${encodeURIComponent(configuration)}`;
  const current = await client.request<{
    webhooks?: Array<{ name: string; clientConfig?: { caBundle?: string } }>;
  }>('GET', path);
  const caBundle = encode(caPem);
  const webhooks = current.webhooks ?? [];
  if (webhooks.every(w => w.clientConfig?.caBundle === caBundle)) return false;
  const ops = webhooks.map((_, i) => ({
    op: 'add',
    path: `/webhooks/${i}/clientConfig/caBundle`,
    value: caBundle,
  }));
  await client.request('PATCH', path, { body: ops, contentType: 'application/json-patch+json' });
  return true;
}
