/**
 * The traffic policy that applies to one cluster: the DestinationRule's top-level policy, overridden
 * by its settings for the port, then by the subset's policy and the subset's settings for the port.
 * Each field (loadBalancer, connectionPool, outlierDetection, tls) is replaced whole, as Istio does.
 */
import type { DestinationRuleSpec, PolicyFields, TrafficPolicy } from '../../api/index.js';

export function effectivePolicy(
  rule: DestinationRuleSpec | undefined,
  port: number,
  subset: string,
): PolicyFields {
  if (rule === undefined) return {};
  let merged = overlay({}, rule.trafficPolicy, port);
  if (subset !== '') {
    const own = rule.subsets?.find(s => s.name === subset);
    merged = overlay(merged, own?.trafficPolicy, port);
  }
  return merged;
}

function overlay(base: PolicyFields, policy: TrafficPolicy | undefined, port: number): PolicyFields {
  if (policy === undefined) return base;
  const portLevel = policy.portLevelSettings?.find(s => s.port.number === port);
  return pick(pick(base, policy), portLevel);
}

function pick(base: PolicyFields, over: PolicyFields | undefined): PolicyFields {
  if (over === undefined) return base;
  return {
    loadBalancer: over.loadBalancer ?? base.loadBalancer,
    connectionPool: over.connectionPool ?? base.connectionPool,
    outlierDetection: over.outlierDetection ?? base.outlierDetection,
    tls: over.tls ?? base.tls,
  };
}

/** The metadata key consistent hashing uses for this policy, if any. */
export function hashKey(policy: PolicyFields): string | undefined {
  const name = policy.loadBalancer?.consistentHash?.httpHeaderName;
  return name === undefined || name === '' ? undefined : name;
}
