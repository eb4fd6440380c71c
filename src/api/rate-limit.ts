/**
 * MetaRouter match and rate-limit shapes (Aeraki `MetaRouteMatch`, `LocalRateLimit`, `GlobalRateLimit`).
 *
 * Unlike Aeraki, the documented defaults are honoured: `tokensPerFill` defaults to 1 and
 * `requestTimeout` to 20ms.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * One of `exact`, `prefix`, `regex` (RE2, whole value). An empty match, `regex: "*"` and `exact: ""`
 * all mean "the attribute is present".
 */
export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

export interface MetaRouteMatch {
  /** Attribute name (request metadata key, e.g. `method`) → how its value must match; all must match. */
  readonly attributes?: Readonly<Record<string, StringMatch>>;
}

export interface TokenBucket {
  /** Bucket size, ≥ 1. */
  readonly maxTokens: number;
  /** Tokens added per `fillInterval`, ≥ 1; default 1. */
  readonly tokensPerFill?: number;
  readonly fillInterval: string;
}

export interface LocalRateLimitCondition {
  readonly match: MetaRouteMatch;
  readonly tokenBucket: TokenBucket;
}

export interface LocalRateLimit {
  /** Bucket for requests that match no condition. */
  readonly tokenBucket?: TokenBucket;
  /** First matching condition's bucket is used. */
  readonly conditions?: readonly LocalRateLimitCondition[];
}

export interface GlobalRateLimitDescriptor {
  /** Request metadata key whose value is sent. */
  readonly property: string;
  /** Descriptor key the rate-limit service knows. */
  readonly descriptorKey: string;
}

export interface GlobalRateLimit {
  readonly match: MetaRouteMatch;
  readonly domain: string;
  /** Default 20ms. */
  readonly requestTimeout?: string;
  /** Reject requests when the rate-limit service fails. */
  readonly denyOnFail?: boolean;
  /** Cluster of the rate-limit service, e.g. `outbound|8081||rate-limit-server.ns.svc.cluster.local`. */
  readonly rateLimitService: string;
  readonly descriptors: readonly GlobalRateLimitDescriptor[];
}

export const stringMatchSchema = z.strictObject({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  regex: z.string().optional(),
});

export const metaRouteMatchSchema = z.strictObject({
  attributes: z.record(z.string(), stringMatchSchema).optional(),
});

const tokenBucketSchema = z.strictObject({
  maxTokens: z.number().int().min(0),
  tokensPerFill: z.number().int().min(0).optional(),
  fillInterval: durationSchema,
});

export const localRateLimitSchema = z.strictObject({
  tokenBucket: tokenBucketSchema.optional(),
  conditions: z
    .array(z.strictObject({ match: metaRouteMatchSchema, tokenBucket: tokenBucketSchema }))
    .optional(),
});

export const globalRateLimitSchema = z.strictObject({
  match: metaRouteMatchSchema,
  domain: z.string(),
  requestTimeout: durationSchema.optional(),
  denyOnFail: z.boolean().optional(),
  rateLimitService: z.string(),
  descriptors: z.array(z.strictObject({ property: z.string(), descriptorKey: z.string() })),
});
