/**
 * Aeraki `MetaRouter` (metaprotocol.aeraki.io/v1alpha1): ordered routes for the MetaProtocol service
 * named in `hosts`, matched on request metadata attributes (first match wins), with weighted
 * destinations, mirroring and header mutation, plus rate limits.
 *
 * Extensions (old YAML stays valid): per route, `timeout` (request timeout), `fault` (delay and abort
 * injection) and `retries` (attempts, per-try timeout, conditions); see route-policies.ts. Per
 * service, `filters`: the filters the service's listeners run before the router, in order, each with
 * its config (see {@link MetaFilter}).
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import type { Resource } from './metadata.js';
import {
  globalRateLimitSchema,
  localRateLimitSchema,
  metaRouteMatchSchema,
  type GlobalRateLimit,
  type LocalRateLimit,
  type MetaRouteMatch,
} from './rate-limit.js';
import {
  faultInjectionSchema,
  retryPolicySchema,
  type FaultInjection,
  type RetryPolicy,
} from './route-policies.js';

export type { MetaRouteMatch, StringMatch } from './rate-limit.js';

export interface Destination {
  /** Host of a ServiceEntry. */
  readonly host: string;
  /** A subset of the host's DestinationRule. */
  readonly subset?: string;
  /** Service port; absent or 0 = the port the request arrived on. */
  readonly port?: { readonly number?: number };
}

export interface MetaRouteDestination {
  readonly destination: Destination;
  /** Share of requests, 0..100; with several destinations the weights sum to 100. */
  readonly weight?: number;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface MetaRoute {
  readonly name?: string;
  /** AND of all attributes; absent = matches every request. */
  readonly match?: MetaRouteMatch;
  readonly route?: readonly MetaRouteDestination[];
  /** Copy requests to this destination too; its replies are discarded. */
  readonly mirror?: Destination;
  /** Share of requests mirrored, 0 < value ≤ 100; absent = 100. */
  readonly mirrorPercentage?: { readonly value?: number };
  /** Key/values written into request headers (Dubbo attachments, THeader headers, …). */
  readonly requestMutation?: readonly KeyValue[];
  readonly responseMutation?: readonly KeyValue[];
  /**
   * Extension: per-route request timeout (`"2s"`); absent = the listener's default. Not in Aeraki's API,
   * so only set it where this implementation serves the route.
   */
  readonly timeout?: string;
  /** Extension: faults injected into a share of this route's requests (Istio-style). */
  readonly fault?: FaultInjection;
  /** Extension: retries while no byte of the reply has come back (Istio-style). */
  readonly retries?: RetryPolicy;
}

/**
 * Extension: one filter of the service's filter chain, by its registered name, with its config. The
 * chain runs in the listed order, the router last; the rate limits configured by `localRateLimit` and
 * `globalRateLimit` run first unless listed here by name (without config) to place them.
 */
export interface MetaFilter {
  /** `aeraki.meta_protocol.filters.<name>`: a built-in filter or a plugin's. */
  readonly name: string;
  /** The filter's config, checked against its schema; absent = `{}`. */
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface MetaRouterSpec {
  /** Exactly one FQDN: the ServiceEntry `hosts[0]` whose MetaProtocol ports this router applies to. */
  readonly hosts: readonly string[];
  /** `ns/name` or `name` (MetaRouter namespace implied) of Istio Gateways. */
  readonly gateways?: readonly string[];
  readonly routes?: readonly MetaRoute[];
  readonly localRateLimit?: LocalRateLimit;
  readonly globalRateLimit?: GlobalRateLimit;
  /** Extension: the filters this service's listeners run before the router, in order. */
  readonly filters?: readonly MetaFilter[];
  /** `.` = this namespace, `*` = everywhere, or namespace names. */
  readonly exportTo?: readonly string[];
}

export type MetaRouter = Resource<'MetaRouter', MetaRouterSpec>;

const destinationSchema = z.strictObject({
  host: z.string(),
  subset: z.string().optional(),
  port: z.strictObject({ number: z.number().int().min(0).optional() }).optional(),
});

const keyValueSchema = z.strictObject({ key: z.string(), value: z.string() });

const metaRouteSchema = z.strictObject({
  name: z.string().optional(),
  match: metaRouteMatchSchema.optional(),
  route: z
    .array(z.strictObject({ destination: destinationSchema, weight: z.number().int().min(0).optional() }))
    .optional(),
  mirror: destinationSchema.optional(),
  mirrorPercentage: z.strictObject({ value: z.number().optional() }).optional(),
  requestMutation: z.array(keyValueSchema).optional(),
  responseMutation: z.array(keyValueSchema).optional(),
  timeout: durationSchema.optional(),
  fault: faultInjectionSchema.optional(),
  retries: retryPolicySchema.optional(),
});

export const metaRouterSpecSchema: z.ZodType<MetaRouterSpec> = z.strictObject({
  hosts: z.array(z.string()),
  gateways: z.array(z.string()).optional(),
  routes: z.array(metaRouteSchema).optional(),
  localRateLimit: localRateLimitSchema.optional(),
  globalRateLimit: globalRateLimitSchema.optional(),
  filters: z
    .array(z.strictObject({ name: z.string(), config: z.record(z.string(), z.unknown()).optional() }))
    .optional(),
  exportTo: z.array(z.string()).optional(),
});
