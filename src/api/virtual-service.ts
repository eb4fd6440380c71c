/**
 * Istio `VirtualService` (networking.istio.io v1alpha3, v1beta1, v1), as far as Aeraki reads it: the
 * `http` routes of a service whose port is `tcp-dubbo…` or `tcp-thrift…` become the routes of Envoy's
 * own Dubbo and Thrift filters in the EnvoyFilters written for Istio sidecars (`match[0].method`, and
 * for Dubbo `match[0].headers`, to weighted destinations). MetaProtocol services are routed by
 * MetaRouter, not by VirtualService.
 *
 * The other fields (`tcp`, `tls`, the rest of an http route) are accepted as Istio writes them.
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';
import { stringMatchSchema, type StringMatch } from './rate-limit.js';

export interface VirtualServiceDestination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: { readonly number?: number };
}

export interface HttpRouteDestination {
  readonly destination: VirtualServiceDestination;
  readonly weight?: number;
}

export interface HttpMatchRequest {
  /** Aeraki reads it as the RPC method name (exact, prefix or RE2 regex). */
  readonly method?: StringMatch;
  /** Dubbo attachments. */
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly [field: string]: unknown;
}

export interface HttpRoute {
  readonly name?: string;
  readonly match?: readonly HttpMatchRequest[];
  readonly route?: readonly HttpRouteDestination[];
  readonly [field: string]: unknown;
}

export interface VirtualServiceSpec {
  readonly hosts?: readonly string[];
  readonly gateways?: readonly string[];
  readonly http?: readonly HttpRoute[];
  readonly tcp?: readonly Readonly<Record<string, unknown>>[];
  readonly tls?: readonly Readonly<Record<string, unknown>>[];
  readonly exportTo?: readonly string[];
}

export type VirtualService = Resource<'VirtualService', VirtualServiceSpec>;

const destinationSchema = z.looseObject({
  host: z.string(),
  subset: z.string().optional(),
  port: z.looseObject({ number: z.number().int().min(0).max(65535).optional() }).optional(),
});

export const virtualServiceSpecSchema: z.ZodType<VirtualServiceSpec> = z.strictObject({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(z.string()).optional(),
  http: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        match: z
          .array(
            z.looseObject({
              method: stringMatchSchema.optional(),
              headers: z.record(z.string(), stringMatchSchema).optional(),
            }),
          )
          .optional(),
        route: z
          .array(
            z.looseObject({
              destination: destinationSchema,
              weight: z.number().int().min(0).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  tcp: z.array(z.looseObject({})).optional(),
  tls: z.array(z.looseObject({})).optional(),
  exportTo: z.array(z.string()).optional(),
});
