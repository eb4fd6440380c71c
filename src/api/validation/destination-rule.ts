/**
 * DestinationRule rules: Istio's checks on host, subsets and traffic policies, plus warnings where a
 * policy cannot be honoured by the MetaProtocol proxy.
 */
import type { DestinationRuleSpec, PolicyFields, TrafficPolicy } from '../destination-rule.js';
import { parseDurationMs } from '../duration.js';
import type { FieldIssue, FieldPath } from '../issue.js';
import { hostProblem, isDns1123Label } from '../names.js';
import { validateExportTo } from './export-to.js';

export function validateDestinationRule(spec: DestinationRuleSpec, namespace: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const problem = hostProblem(spec.host);
  if (problem !== undefined) {
    issues.push(err(['spec', 'host'], 'host-invalid', `host '${spec.host}' is not valid: ${problem}`));
  }
  if (spec.trafficPolicy !== undefined)
    issues.push(...validateTrafficPolicy(spec.trafficPolicy, ['spec', 'trafficPolicy']));
  const names = new Set<string>();
  spec.subsets?.forEach((subset, i) => {
    const at = ['spec', 'subsets', i];
    if (!isDns1123Label(subset.name)) {
      issues.push(
        err(
          [...at, 'name'],
          'subset-name',
          `subset name '${subset.name}' must be a DNS-1123 label (lower-case letters, digits, '-')`,
        ),
      );
    }
    if (names.has(subset.name)) {
      issues.push(err([...at, 'name'], 'subset-name-duplicate', `subset '${subset.name}' is defined twice`));
    }
    names.add(subset.name);
    if (subset.trafficPolicy !== undefined) {
      issues.push(...validateTrafficPolicy(subset.trafficPolicy, [...at, 'trafficPolicy']));
    }
  });
  issues.push(...validateExportTo(spec.exportTo, namespace, ['spec', 'exportTo'], false));
  return issues;
}

function validateTrafficPolicy(policy: TrafficPolicy, path: FieldPath): FieldIssue[] {
  const issues = validatePolicyFields(policy, path);
  const ports = new Set<number>();
  policy.portLevelSettings?.forEach((settings, i) => {
    const at = [...path, 'portLevelSettings', i];
    if (ports.has(settings.port.number)) {
      issues.push(
        err(
          [...at, 'port', 'number'],
          'port-level-duplicate',
          `portLevelSettings lists port ${settings.port.number} twice`,
        ),
      );
    }
    ports.add(settings.port.number);
    issues.push(...validatePolicyFields(settings, at));
  });
  return issues;
}

function validatePolicyFields(policy: PolicyFields, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const lb = policy.loadBalancer;
  if (lb !== undefined) {
    const at = [...path, 'loadBalancer'];
    if (lb.simple !== undefined && lb.consistentHash !== undefined) {
      issues.push(
        err(
          at,
          'load-balancer-oneof',
          'set either loadBalancer.simple or loadBalancer.consistentHash, not both',
        ),
      );
    }
    if (lb.simple === 'PASSTHROUGH') {
      issues.push(
        warn(
          [...at, 'simple'],
          'lb-passthrough',
          'PASSTHROUGH (forward to the original destination) is not supported; ROUND_ROBIN is used',
        ),
      );
    }
    const hash = lb.consistentHash;
    if (hash !== undefined) {
      const hashAt = [...at, 'consistentHash'];
      const keys = (
        ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const
      ).filter(k => hash[k] !== undefined && hash[k] !== false);
      if (keys.length > 1) {
        issues.push(
          err(hashAt, 'hash-key-oneof', `consistentHash sets ${keys.join(' and ')}; set only one hash key`),
        );
      } else if (keys[0] !== 'httpHeaderName') {
        issues.push(
          warn(
            hashAt,
            'hash-key-unsupported',
            keys.length === 0
              ? 'consistentHash has no hash key; set httpHeaderName to a request metadata key (e.g. method)'
              : `consistentHash.${keys[0]} cannot be used with MetaProtocol; set httpHeaderName to a request metadata key (e.g. method)`,
          ),
        );
      }
      const algorithms = (['ringHash', 'maglev', 'minimumRingSize'] as const).filter(
        k => hash[k] !== undefined,
      );
      if (algorithms.length > 1) {
        issues.push(
          err(
            hashAt,
            'hash-algorithm-oneof',
            `consistentHash sets ${algorithms.join(' and ')}; set only one`,
          ),
        );
      }
      const tableSize = hash.maglev?.tableSize;
      if (tableSize !== undefined && !isPrime(tableSize)) {
        issues.push(
          err(
            [...hashAt, 'maglev', 'tableSize'],
            'maglev-table-size',
            `maglev tableSize must be a prime number, not ${tableSize}`,
          ),
        );
      }
    }
  }
  const connectTimeout = policy.connectionPool?.tcp?.connectTimeout;
  if (connectTimeout !== undefined && (parseDurationMs(connectTimeout) ?? 0) < 1) {
    issues.push(
      err(
        [...path, 'connectionPool', 'tcp', 'connectTimeout'],
        'connect-timeout',
        'connectTimeout must be at least 1ms',
      ),
    );
  }
  issues.push(...validateOutlierDetection(policy, path));
  if (policy.tls !== undefined && policy.tls['mode'] !== 'DISABLE') {
    issues.push(
      warn(
        [...path, 'tls'],
        'not-applied',
        'tls is accepted but not applied: upstream connections are plain TCP',
      ),
    );
  }
  return issues;
}

function validateOutlierDetection(policy: PolicyFields, path: FieldPath): FieldIssue[] {
  const outlier = policy.outlierDetection;
  if (outlier === undefined) return [];
  const issues: FieldIssue[] = [];
  const at = [...path, 'outlierDetection'];
  for (const field of ['interval', 'baseEjectionTime'] as const) {
    const text = outlier[field];
    if (text !== undefined && (parseDurationMs(text) ?? 0) < 1) {
      issues.push(err([...at, field], 'outlier-duration', `${field} must be at least 1ms`));
    }
  }
  if (outlier.consecutiveErrors !== undefined) {
    issues.push(
      warn(
        [...at, 'consecutiveErrors'],
        'deprecated',
        'consecutiveErrors is deprecated and means consecutiveGatewayErrors (connect failures, timeouts, resets); ' +
          'set consecutive5xxErrors or consecutiveGatewayErrors instead',
      ),
    );
  }
  for (const field of ['consecutiveLocalOriginFailures', 'splitExternalLocalOriginErrors'] as const) {
    if (outlier[field] !== undefined) {
      issues.push(
        warn(
          [...at, field],
          'not-applied',
          `${field} is accepted but not applied: local-origin failures always count as gateway errors`,
        ),
      );
    }
  }
  return issues;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function err(path: FieldPath, rule: string, message: string): FieldIssue {
  return { severity: 'error', path, rule, message };
}

function warn(path: FieldPath, rule: string, message: string): FieldIssue {
  return { severity: 'warning', path, rule, message };
}
