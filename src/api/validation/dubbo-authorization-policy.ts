/**
 * DubboAuthorizationPolicy rules: a value may hold one `*`, at its start (suffix match) or end
 * (prefix match), or be `*` alone (any value), as Istio's authorization values.
 */
import type { DubboAuthorizationPolicySpec } from '../dubbo-authorization-policy.js';
import type { FieldIssue } from '../issue.js';

function badWildcard(value: string): boolean {
  if (value === '*') return false;
  const inner = value.slice(1, -1);
  return inner.includes('*') || (value.startsWith('*') && value.endsWith('*'));
}

export function validateDubboAuthorizationPolicy(spec: DubboAuthorizationPolicySpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const check = (values: readonly string[] | undefined, path: (string | number)[]): void => {
    values?.forEach((value, i) => {
      if (!badWildcard(value)) return;
      issues.push({
        severity: 'error',
        path: [...path, i],
        rule: 'authorization-value-wildcard',
        message: `'${value}' may hold one '*', at its start (suffix match) or end (prefix match), or be '*' alone`,
      });
    });
  };
  (spec.rules ?? []).forEach((rule, r) => {
    (rule.from ?? []).forEach((from, f) => {
      const at = ['spec', 'rules', r, 'from', f, 'source'];
      for (const field of ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'] as const)
        check(from.source?.[field], [...at, field]);
    });
    (rule.to ?? []).forEach((to, t) => {
      const at = ['spec', 'rules', r, 'to', t, 'operation'];
      for (const field of ['interfaces', 'notInterfaces', 'methods', 'notMethods'] as const)
        check(to.operation?.[field], [...at, field]);
    });
  });
  return issues;
}
