/**
 * How a proxy on the TLS xDS port proves who it is. Each authenticator reads one kind of credential
 * (a client certificate, a service-account token in the `authorization` metadata) and either finds an
 * identity, refuses what was presented with a reason, or finds none of its kind; a chain of them
 * (AuthenticatorChain) serves the stream with the first identity found, as istiod does on 15012.
 *
 * In file mode the chain holds the SPIFFE client-certificate authenticator (spiffe-authenticator.ts).
 * On Kubernetes a TokenReview authenticator (the projected service-account token, its audience
 * checked by the API server) implements the same interface and joins the chain after it.
 */
import type { PeerCertificate } from 'node:tls';
import type { Metadata } from '@grpc/grpc-js';
import type { ProxyIdentity } from '../model/proxy-info.js';

/** What a stream presents: its TLS connection's client certificate, and its request metadata. */
export interface XdsCredentials {
  /** The TLS side; absent on a plaintext connection. */
  readonly tls?: {
    /** Whether the certificate chains to the trusted CA and is within its validity. */
    readonly authorized: boolean;
    /** OpenSSL's reason when it is not (`CERT_HAS_EXPIRED`, …). */
    readonly authorizationError?: string;
    /** The client's certificate; absent when it sent none. */
    readonly certificate?: PeerCertificate;
  };
  readonly metadata: Metadata;
  /** `address:port` of the proxy, for logs. */
  readonly peer: string;
}

/** An authenticator's answer. */
export type AuthOutcome =
  | { readonly kind: 'identity'; readonly identity: ProxyIdentity }
  /** A credential of its kind was presented and is not good: the stream is refused with `reason`. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** No credential of its kind was presented. */
  | { readonly kind: 'absent' };

export interface XdsAuthenticator {
  /** Names the credential it reads, in refusals (`client certificate`, `service-account token`). */
  readonly name: string;
  authenticate(credentials: XdsCredentials): AuthOutcome | Promise<AuthOutcome>;
}

/** A stream's authentication: who it is, or why it is refused (gRPC UNAUTHENTICATED). */
export type Authentication = { readonly identity: ProxyIdentity } | { readonly refused: string };

/**
 * Tries each authenticator in order and takes the first identity. A stream with none is refused,
 * with every authenticator's reason (a credential that was refused, or none of its kind presented).
 */
export class AuthenticatorChain {
  constructor(private readonly authenticators: readonly XdsAuthenticator[]) {}

  async authenticate(credentials: XdsCredentials): Promise<Authentication> {
    const reasons: string[] = [];
    for (const authenticator of this.authenticators) {
      let outcome: AuthOutcome;
      try {
        outcome = await authenticator.authenticate(credentials);
      } catch (err) {
        outcome = {
          kind: 'refused',
          reason: `could not be checked: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
      if (outcome.kind === 'identity') return { identity: outcome.identity };
      reasons.push(
        outcome.kind === 'refused' ? `${authenticator.name}: ${outcome.reason}` : `no ${authenticator.name}`,
      );
    }
    return { refused: `authentication failed: ${reasons.join('; ')}` };
  }
}
