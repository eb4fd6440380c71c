import type { GlobalRateLimitResource } from '../../xds/resources.js';
import type { DecoderFilter, FilterStatus, RequestContext } from '../filter.js';
import {
  compileAttributeMatcher,
  matchesAll,
  type CompiledAttributeMatcher,
} from '../router/attribute-matcher.js';
import {
  RateLimitCode,
  type RateLimitRequestMessage,
  type RateLimitService,
} from './rate-limit-service-client.js';

/** Counters exposed as stats, named as Envoy's rate-limit filters name theirs. */
export interface GlobalRateLimitStats {
  /** The service allowed the request. */
  ok: number;
  /** The service said OVER_LIMIT; the request got the protocol's over-limit reply. */
  over_limit: number;
  /** The service could not be asked (unknown cluster, no endpoint, RPC error, deadline). */
  error: number;
  /** Of those errors, the requests let through because `failureModeDeny` is off. */
  failure_mode_allowed: number;
}

/**
 * Global rate limiting (metaprotocol.md §4.5) through an Envoy rate-limit service. A request whose
 * metadata matches the filter's match (an empty match selects every request) pauses while the
 * service is asked about one descriptor per configured entry, `{descriptorKey: metadata[property]}`;
 * an entry whose property the request lacks is left out, and a request left with none is not limited.
 * OVER_LIMIT ends the request with the protocol's over-limit reply, OK (or UNKNOWN, as in Envoy)
 * resumes the chain. When the service cannot answer within `timeoutMs` — including an unknown
 * rate-limit cluster or one without endpoints, where the original always rejects — the request is
 * rejected if `failureModeDeny` is set and let through otherwise.
 */
export class GlobalRateLimitFilter implements DecoderFilter {
  readonly name = 'aeraki.meta_protocol.filters.ratelimit';
  readonly stats: GlobalRateLimitStats = { ok: 0, over_limit: 0, error: 0, failure_mode_allowed: 0 };
  private readonly matchers: readonly CompiledAttributeMatcher[];
  private readonly properties: readonly string[];

  constructor(
    private readonly config: GlobalRateLimitResource,
    private readonly service: RateLimitService,
  ) {
    this.matchers = config.match.map(compileAttributeMatcher);
    this.properties = config.descriptors.map(d => d.property.toLowerCase());
    service.prepare(config.rateLimitCluster);
  }

  onRequest(ctx: RequestContext): FilterStatus {
    const metadata = ctx.request.metadata;
    if (!matchesAll(this.matchers, metadata)) return 'continue';
    const request = this.requestFor(ctx);
    if (request === undefined) return 'continue';
    this.service.shouldRateLimit(
      this.config.rateLimitCluster,
      request,
      this.config.timeoutMs,
      (failure, code) => this.onResult(ctx, failure, code),
    );
    return 'stop';
  }

  private requestFor(ctx: RequestContext): RateLimitRequestMessage | undefined {
    const metadata = ctx.request.metadata;
    const descriptors: { entries: { key: string; value: string }[] }[] = [];
    const configured = this.config.descriptors;
    for (let i = 0; i < configured.length; i++) {
      const value = metadata.get(this.properties[i]!);
      if (value !== undefined) descriptors.push({ entries: [{ key: configured[i]!.descriptorKey, value }] });
    }
    return descriptors.length === 0 ? undefined : { domain: this.config.domain, descriptors };
  }

  private onResult(ctx: RequestContext, failure: string | undefined, code: number): void {
    const stats = this.stats;
    if (failure !== undefined) {
      stats.error++;
      if (!this.config.failureModeDeny) {
        stats.failure_mode_allowed++;
        ctx.continueDecoding();
        return;
      }
      ctx.sendLocalReply(
        'over-limit',
        `aeraki: global rate limit: the rate-limit service (cluster '${this.config.rateLimitCluster}') did not answer: ${failure}; denyOnFail rejects the request`,
      );
      return;
    }
    if (code === RateLimitCode.OVER_LIMIT) {
      stats.over_limit++;
      const method = ctx.request.metadata.get('method') ?? 'request';
      ctx.sendLocalReply(
        'over-limit',
        `aeraki: global rate limit: ${method} has been rate limited by the rate-limit service (domain '${this.config.domain}')`,
      );
      return;
    }
    stats.ok++;
    ctx.continueDecoding();
  }
}
