/**
 * Service-account token authentication on Kubernetes, as istiod's: a proxy sends its projected
 * service-account token (`authorization: Bearer <token>`, audience `istio-ca` by default) and the
 * control plane asks the API server about it with a TokenReview (authentication.k8s.io/v1):
 *
 * - `spec.audiences` names the audiences accepted, so that a token made for another audience (the
 *   API server's own, or any other service's) is not accepted here; an empty list would mean the
 *   API server's audiences, which is why one is always sent;
 * - `status.authenticated` says whether the token is valid (`status.error` why not);
 * - `status.audiences` is the intersection of the requested audiences and the token's: it must hold
 *   one of ours, or the API server did not check audiences at all (the API's own advice to clients
 *   that set `spec.audiences`);
 * - `status.user.username` is `system:serviceaccount:<namespace>:<name>` for a service account;
 *   any other user (a person's token, a node's) is refused.
 *
 * Valid answers are remembered for a short while (keyed by the token's hash), so that a fleet of
 * proxies reconnecting together costs the API server one review per token, not one per stream.
 */
import { createHash } from 'node:crypto';
import type { V1TokenReview } from '@kubernetes/client-node';
import type { ProxyIdentity } from '../model/proxy-info.js';
import type { KubeClient } from '../sources/kubernetes/kube-client.js';
import type { AuthOutcome, XdsAuthenticator, XdsCredentials } from './xds-authenticator.js';

/** The audience istiod expects of proxies' tokens, and this control plane's default. */
export const DEFAULT_TOKEN_AUDIENCE = 'istio-ca';

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export interface TokenReviewOptions {
  /** Audiences a token may be made for (default `istio-ca`). */
  readonly audiences?: readonly string[];
  /** The SPIFFE trust domain of the identities it proves (their principal). */
  readonly trustDomain: string;
  /** How long a valid review is reused (default 60 s; 0: never). */
  readonly cacheMs?: number;
  /** Most reviews remembered at once (default 10,000). */
  readonly maxCached?: number;
  /** The time, for tests. */
  readonly now?: () => number;
}

export class TokenReviewAuthenticator implements XdsAuthenticator {
  readonly name = 'service-account token';
  private readonly audiences: readonly string[];
  private readonly cache = new Map<string, { identity: ProxyIdentity; until: number }>();
  private readonly cacheMs: number;
  private readonly maxCached: number;
  private readonly now: () => number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: TokenReviewOptions,
  ) {
    this.audiences = options.audiences ?? [DEFAULT_TOKEN_AUDIENCE];
    this.cacheMs = options.cacheMs ?? 60_000;
    this.maxCached = options.maxCached ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(credentials: XdsCredentials): Promise<AuthOutcome> {
    const header = credentials.metadata.get('authorization')[0];
    if (header === undefined) return { kind: 'absent' };
    const bearer = BEARER.exec(typeof header === 'string' ? header : header.toString('utf8'));
    if (bearer === null)
      return { kind: 'refused', reason: "the authorization metadata is not 'Bearer <token>'" };
    const token = bearer[1]!;
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.until > this.now())
      return { kind: 'identity', identity: cached.identity };
    this.cache.delete(key);
    const review = await this.client.request<V1TokenReview>(
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: [...this.audiences] },
        },
        timeoutMs: 10_000,
      },
    );
    const outcome = this.judge(review);
    if (outcome.kind === 'identity' && this.cacheMs > 0) this.remember(key, outcome.identity);
    return outcome;
  }

  private judge(review: V1TokenReview): AuthOutcome {
    const status = review.status;
    const wanted = this.audiences.join(', ');
    if (status?.authenticated !== true) {
      const why = status?.error === undefined || status.error === '' ? '' : `: ${status.error}`;
      return {
        kind: 'refused',
        reason: `the API server did not authenticate it for audience ${wanted}${why}`,
      };
    }
    const confirmed = (status.audiences ?? []).filter(a => this.audiences.includes(a));
    if (confirmed.length === 0) {
      return {
        kind: 'refused',
        reason: `the API server did not confirm audience ${wanted} (status.audiences: [${(status.audiences ?? []).join(', ')}])`,
      };
    }
    const username = status.user?.username ?? '';
    const account = SERVICE_ACCOUNT_USER.exec(username);
    if (account === null) {
      return { kind: 'refused', reason: `it belongs to '${username}', not to a service account` };
    }
    const [, namespace, serviceAccount] = account as unknown as [string, string, string];
    const trustDomain = this.options.trustDomain;
    return {
      kind: 'identity',
      identity: {
        namespace,
        serviceAccount,
        trustDomain,
        principal: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
        method: 'token',
      },
    };
  }

  private remember(key: string, identity: ProxyIdentity): void {
    if (this.cache.size >= this.maxCached) {
      // The oldest entry first (a Map iterates in insertion order).
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { identity, until: this.now() + this.cacheMs });
  }
}
