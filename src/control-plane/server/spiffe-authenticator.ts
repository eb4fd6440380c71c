/**
 * Client-certificate (mTLS) authentication with SPIFFE identities, as istiod's: the certificate must
 * chain to the trusted CA and be within its validity (TLS checks both), and carry exactly one URI SAN
 * `spiffe://<trust domain>/ns/<namespace>/sa/<service account>` of the trust domain served.
 */
import type { ProxyIdentity } from '../model/proxy-info.js';
import type { AuthOutcome, XdsAuthenticator, XdsCredentials } from './xds-authenticator.js';

/** Istio's default trust domain. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

const SPIFFE_PATH = /^\/ns\/([^/]+)\/sa\/([^/]+)$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** OpenSSL's verification errors, for people. */
function describeVerifyError(code: string | undefined, notAfter: string | undefined): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return `it expired${notAfter === undefined ? '' : ` (not after ${notAfter})`}`;
    case 'CERT_NOT_YET_VALID':
      return 'it is not valid yet';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return `it is not signed by the trusted CA (${code})`;
    case 'CERT_REVOKED':
      return 'it is revoked';
    default:
      return `it does not verify (${code ?? 'unknown reason'})`;
  }
}

/** The URIs of a certificate's subjectAltName (`URI:spiffe://…, DNS:…`). */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  const uris: string[] = [];
  for (const part of subjectAltName.split(/,\s*/)) if (part.startsWith('URI:')) uris.push(part.slice(4));
  return uris;
}

/** A SPIFFE ID of a workload (`spiffe://td/ns/x/sa/y`) as an identity; a reason when it is not one. */
export function parseSpiffeId(uri: string): Omit<ProxyIdentity, 'method'> | string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `'${uri}' is not a URI`;
  }
  if (url.protocol !== 'spiffe:' || url.host === '') return `'${uri}' is not a SPIFFE ID`;
  const match = SPIFFE_PATH.exec(url.pathname);
  if (match === null || url.search !== '' || url.hash !== '')
    return `SPIFFE ID '${uri}' is not of the form spiffe://<trust domain>/ns/<namespace>/sa/<service account>`;
  const namespace = decodeURIComponent(match[1]!);
  if (!DNS_LABEL.test(namespace)) return `SPIFFE ID '${uri}' names '${namespace}', not a namespace`;
  return {
    namespace,
    serviceAccount: decodeURIComponent(match[2]!),
    trustDomain: url.host,
    principal: uri,
  };
}

export class SpiffeCertificateAuthenticator implements XdsAuthenticator {
  readonly name = 'client certificate';

  /** `trustDomains`: the trust domains accepted (default `cluster.local`). */
  constructor(private readonly trustDomains: readonly string[] = [DEFAULT_TRUST_DOMAIN]) {}

  authenticate(credentials: XdsCredentials): AuthOutcome {
    const tls = credentials.tls;
    const certificate = tls?.certificate;
    if (tls === undefined || certificate === undefined) return { kind: 'absent' };
    if (!tls.authorized) {
      return { kind: 'refused', reason: describeVerifyError(tls.authorizationError, certificate.valid_to) };
    }
    const spiffe = uriSans(certificate.subjectaltname).filter(u => u.startsWith('spiffe:'));
    if (spiffe.length === 0) return { kind: 'refused', reason: 'it has no spiffe:// URI SAN' };
    if (spiffe.length > 1)
      return {
        kind: 'refused',
        reason: `it has ${spiffe.length} spiffe:// URI SANs; one identity is expected`,
      };
    const parsed = parseSpiffeId(spiffe[0]!);
    if (typeof parsed === 'string') return { kind: 'refused', reason: parsed };
    if (!this.trustDomains.includes(parsed.trustDomain)) {
      return {
        kind: 'refused',
        reason: `its identity ${parsed.principal} is of trust domain ${parsed.trustDomain}, not ${this.trustDomains.join(' or ')}`,
      };
    }
    return { kind: 'identity', identity: { ...parsed, method: 'mtls' } };
  }
}
