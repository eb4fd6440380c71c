/**
 * Sidecar rules, as Istio's validation has them for the parts Aeraki reads: every egress listener
 * names at least one host, each host is `namespace/dnsName` with a namespace that is `*`, `.`, `~` or a
 * namespace name, and a dnsName that is `*`, a host or `*.suffix` (`~` only as `~/*`). Istio fields the
 * MetaProtocol proxy has no use for get a warning, so nobody expects them to act.
 */
import type { FieldIssue, FieldPath } from '../issue.js';
import { hostProblem, isDns1123Label } from '../names.js';
import { parseEgressHost, type SidecarSpec } from '../sidecar.js';

export function validateSidecar(spec: SidecarSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const error = (path: FieldPath, rule: string, message: string): void => {
    issues.push({ severity: 'error', path, rule, message });
  };
  const unused = (path: FieldPath, what: string): void => {
    issues.push({
      severity: 'warning',
      path,
      rule: 'sidecar-field-unused',
      message: `${what} is not used by Aeraki: the MetaProtocol proxy listens on each service's addresses; only the egress hosts scope what a proxy is sent`,
    });
  };
  const selector = spec.workloadSelector;
  if (selector !== undefined && Object.keys(selector.labels ?? {}).length === 0) {
    error(
      ['spec', 'workloadSelector'],
      'sidecar-selector-empty',
      'workloadSelector needs at least one label',
    );
  }
  (spec.egress ?? []).forEach((listener, i) => {
    const at: FieldPath = ['spec', 'egress', i];
    if (listener.hosts.length === 0) {
      error([...at, 'hosts'], 'sidecar-egress-hosts', 'an egress listener must name at least one host');
    }
    listener.hosts.forEach((entry, j) => {
      const problem = egressHostProblem(entry);
      if (problem !== undefined) error([...at, 'hosts', j], 'sidecar-egress-host', problem);
    });
    if (listener.bind !== undefined) unused([...at, 'bind'], 'bind');
    if (listener.captureMode !== undefined) unused([...at, 'captureMode'], 'captureMode');
  });
  if (spec.ingress !== undefined) unused(['spec', 'ingress'], 'ingress');
  if (spec.outboundTrafficPolicy !== undefined)
    unused(['spec', 'outboundTrafficPolicy'], 'outboundTrafficPolicy');
  if (spec.inboundConnectionPool !== undefined)
    unused(['spec', 'inboundConnectionPool'], 'inboundConnectionPool');
  return issues;
}

function egressHostProblem(entry: string): string | undefined {
  const host = parseEgressHost(entry);
  if (host === undefined)
    return `egress host '${entry}' must be namespace/dnsName (e.g. './*', 'prod/*', '*/foo.example.com')`;
  const { namespace, dnsName } = host;
  if (namespace === '~') {
    return dnsName === '*'
      ? undefined
      : `egress host '${entry}': namespace '~' (none) is only allowed as '~/*'`;
  }
  if (namespace !== '*' && namespace !== '.' && !isDns1123Label(namespace)) {
    return `egress host '${entry}': namespace '${namespace}' must be '*', '.', '~' or a namespace name`;
  }
  if (dnsName === '*') return undefined;
  const problem = hostProblem(dnsName);
  return problem === undefined ? undefined : `egress host '${entry}': '${dnsName}' ${problem}`;
}
