/**
 * DubboAuthorizationPolicy → the RBAC filters of Envoy's Dubbo proxy on the providers' inbound
 * listener (before its router): one `envoy.filters.dubbo.rbac` filter with the DENY policies, then one
 * with the ALLOW policies, each present only when such policies apply:
 *
 * ```
 * { name: envoy.filters.dubbo.rbac,
 *   config: envoy.extensions.filters.network.rbac.v3.RBAC { stat_prefix: "dubbo.",
 *     rules: { action: DENY | ALLOW, policies: { "ns[<ns>]-policy[<name>]-rule[<i>]": Policy {
 *       permissions: [ per `to`: and_rules [ or_rules(interfaces), not_rule(or_rules(notInterfaces)),
 *                                            or_rules(methods), not_rule(or_rules(notMethods)) ] ] | [any],
 *       principals:  [ per `from`: and_ids [ or_ids(principals), not_id(…notPrincipals),
 *                                            or_ids(namespaces), not_id(…notNamespaces) ] ] | [any] } } } } }
 * ```
 *
 * Interfaces and methods match the Dubbo filter's dynamic metadata (`service`, `method` under
 * `envoy.filters.dubbo.rbac`); principals match the caller's certificate (`spiffe://<principal>`),
 * namespaces its `/ns/<namespace>/` segment. Values: `abc` exact, `abc*` prefix, `*abc` suffix, `*`
 * present.
 *
 * Which policies apply: those of the service's namespace and of the root namespace (mesh-wide), as
 * documented; the original read the service's namespace only, named every rule after the policy at
 * the rule's index, and dropped or ignored rules it could not build. An ALLOW policy without rules
 * adds a policy that matches nothing, so that everything is denied, as documented.
 */
import type { DubboAuthorizationPolicy, DubboOperation, DubboSource } from '../../../api/index.js';
import { packAny, type ProtoObject } from '../../../xds/proto-message.js';
import type { ConfigObject } from '../../model/config-set.js';

export const DUBBO_RBAC_FILTER = 'envoy.filters.dubbo.rbac';
const NETWORK_RBAC = 'envoy.extensions.filters.network.rbac.v3.RBAC';
const STAT_PREFIX = 'dubbo.';

/** A value in the policies' syntax as an Envoy StringMatcher; `prefix` goes before the value. */
function stringMatcher(value: string, prefix = ''): ProtoObject {
  if (value === '*') return { safe_regex: { google_re2: {}, regex: '.+' } };
  if (value.startsWith('*')) return { suffix: value.slice(1) };
  if (value.endsWith('*')) return { prefix: prefix + value.slice(0, -1) };
  return { exact: prefix + value };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A namespace value as a regex over the SPIFFE id's path. */
function namespaceRegex(value: string): string {
  const segment =
    value === '*'
      ? '[^/]+'
      : value.startsWith('*')
        ? `[^/]*${escapeRegex(value.slice(1))}`
        : value.endsWith('*')
          ? `${escapeRegex(value.slice(0, -1))}[^/]*`
          : escapeRegex(value);
  return `.*/ns/${segment}/.*`;
}

function metadataPermission(key: 'service' | 'method', value: string): ProtoObject {
  return {
    metadata: { filter: DUBBO_RBAC_FILTER, path: [{ key }], value: { string_match: stringMatcher(value) } },
  };
}

function anyOf<T extends ProtoObject>(items: readonly T[], field: 'or_rules' | 'or_ids'): ProtoObject {
  return items.length === 1
    ? items[0]!
    : { [field]: field === 'or_rules' ? { rules: items } : { ids: items } };
}

function permissionOf(operation: DubboOperation | undefined): ProtoObject {
  const parts: ProtoObject[] = [];
  const add = (values: readonly string[] | undefined, key: 'service' | 'method', negate: boolean): void => {
    if (values === undefined || values.length === 0) return;
    const rule = anyOf(
      values.map(v => metadataPermission(key, v)),
      'or_rules',
    );
    parts.push(negate ? { not_rule: rule } : rule);
  };
  add(operation?.interfaces, 'service', false);
  add(operation?.notInterfaces, 'service', true);
  add(operation?.methods, 'method', false);
  add(operation?.notMethods, 'method', true);
  if (parts.length === 0) return { any: true };
  return parts.length === 1 ? parts[0]! : { and_rules: { rules: parts } };
}

function principalOf(source: DubboSource | undefined): ProtoObject {
  const parts: ProtoObject[] = [];
  const add = (ids: ProtoObject[], negate: boolean): void => {
    if (ids.length === 0) return;
    const id = anyOf(ids, 'or_ids');
    parts.push(negate ? { not_id: id } : id);
  };
  const principal = (p: string): ProtoObject => ({
    authenticated: { principal_name: stringMatcher(p, 'spiffe://') },
  });
  const namespace = (n: string): ProtoObject => ({
    authenticated: { principal_name: { safe_regex: { google_re2: {}, regex: namespaceRegex(n) } } },
  });
  add((source?.principals ?? []).map(principal), false);
  add((source?.notPrincipals ?? []).map(principal), true);
  add((source?.namespaces ?? []).map(namespace), false);
  add((source?.notNamespaces ?? []).map(namespace), true);
  if (parts.length === 0) return { any: true };
  return parts.length === 1 ? parts[0]! : { and_ids: { ids: parts } };
}

/** The Envoy RBAC policies of one action, by name. */
function policiesOf(
  policies: readonly ConfigObject<DubboAuthorizationPolicy>[],
): Record<string, ProtoObject> {
  const out: Record<string, ProtoObject> = {};
  for (const policy of policies) {
    const rules = policy.resource.spec.rules ?? [];
    const base = `ns[${policy.namespace}]-policy[${policy.resource.metadata.name}]`;
    if (rules.length === 0) {
      // Matches nothing: an ALLOW policy without rules denies all, a DENY one denies none.
      out[`${base}-rule[none]`] = { permissions: [{ not_rule: { any: true } }], principals: [{ any: true }] };
      continue;
    }
    rules.forEach((rule, i) => {
      const to = rule.to ?? [];
      const from = rule.from ?? [];
      out[`${base}-rule[${i}]`] = {
        permissions: to.length === 0 ? [{ any: true }] : to.map(t => permissionOf(t.operation)),
        principals: from.length === 0 ? [{ any: true }] : from.map(f => principalOf(f.source)),
      };
    });
  }
  return out;
}

/** The DubboAuthorizationPolicies that apply to a service in `namespace`. */
export function dubboPoliciesFor(
  all: readonly ConfigObject<DubboAuthorizationPolicy>[],
  namespace: string,
  rootNamespace: string,
): ConfigObject<DubboAuthorizationPolicy>[] {
  return all.filter(p => p.namespace === namespace || p.namespace === rootNamespace);
}

/** The Dubbo filters to put before the router: DENY first, then ALLOW; none without policies. */
export function dubboRbacFilters(policies: readonly ConfigObject<DubboAuthorizationPolicy>[]): ProtoObject[] {
  const out: ProtoObject[] = [];
  for (const action of ['DENY', 'ALLOW'] as const) {
    const these = policies.filter(p => (p.resource.spec.action ?? 'ALLOW') === action);
    if (these.length === 0) continue;
    out.push({
      name: DUBBO_RBAC_FILTER,
      config: packAny(NETWORK_RBAC, {
        stat_prefix: STAT_PREFIX,
        rules: { action, policies: policiesOf(these) },
      }),
    });
  }
  return out;
}
