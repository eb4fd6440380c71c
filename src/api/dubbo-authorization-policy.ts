/**
 * `DubboAuthorizationPolicy` (dubbo.aeraki.io/v1alpha1): who may call which Dubbo interfaces and
 * methods of the services in its namespace (the root namespace's apply mesh-wide). Enforced by Envoy's
 * Dubbo filter on the providers' sidecars in Istio mode (an RBAC Dubbo filter on the inbound side).
 *
 * ```yaml
 * spec:
 *   action: ALLOW            # or DENY; default ALLOW
 *   rules:                   # any rule matching makes the policy match; none: never matches
 *   - from: [{source: {principals: [...], notPrincipals, namespaces, notNamespaces}}]   # empty: anyone
 *     to:   [{operation: {interfaces: [...], notInterfaces, methods, notMethods}}]      # empty: anything
 * ```
 *
 * Values: `abc` exact, `abc*` prefix, `*abc` suffix, `*` any value present. Evaluation, as Istio's
 * AuthorizationPolicy: a matching DENY policy denies; else with no ALLOW policy the call passes; else
 * it passes only if an ALLOW policy matches (an ALLOW policy without rules denies everything).
 * Principals and namespaces come from the caller's mTLS certificate.
 */
import { z } from 'zod';
import type { Resource } from './metadata.js';

export interface DubboSource {
  readonly principals?: readonly string[];
  readonly notPrincipals?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly notNamespaces?: readonly string[];
}

export interface DubboOperation {
  readonly interfaces?: readonly string[];
  readonly notInterfaces?: readonly string[];
  readonly methods?: readonly string[];
  readonly notMethods?: readonly string[];
}

export interface DubboAuthorizationRule {
  readonly from?: readonly { readonly source?: DubboSource }[];
  readonly to?: readonly { readonly operation?: DubboOperation }[];
}

export interface DubboAuthorizationPolicySpec {
  readonly action?: 'ALLOW' | 'DENY';
  readonly rules?: readonly DubboAuthorizationRule[];
}

export type DubboAuthorizationPolicy = Resource<'DubboAuthorizationPolicy', DubboAuthorizationPolicySpec>;

const values = z.array(z.string().min(1)).optional();

export const dubboAuthorizationPolicySpecSchema: z.ZodType<DubboAuthorizationPolicySpec> = z.strictObject({
  action: z.enum(['ALLOW', 'DENY']).optional(),
  rules: z
    .array(
      z.strictObject({
        from: z
          .array(
            z.strictObject({
              source: z
                .strictObject({
                  principals: values,
                  notPrincipals: values,
                  namespaces: values,
                  notNamespaces: values,
                })
                .optional(),
            }),
          )
          .optional(),
        to: z
          .array(
            z.strictObject({
              operation: z
                .strictObject({
                  interfaces: values,
                  notInterfaces: values,
                  methods: values,
                  notMethods: values,
                })
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});
