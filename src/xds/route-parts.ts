/**
 * Pieces shared by both wire forms of a MetaProtocol route (the Envoy HTTP RouteConfiguration carried
 * over RDS and the inline aeraki RouteConfiguration), as decoded/encodable protobuf objects:
 *
 * - AttributeMatcher ⇄ envoy.config.route.v3.HeaderMatcher: exact → `exact_match`, prefix →
 *   `prefix_match`, regex → `safe_regex_match {google_re2 {}, regex}`, present → `present_match: true`
 *   (the fields Aeraki writes). Decoding also accepts `string_match {exact | prefix | safe_regex}` and a
 *   matcher with no specifier (Envoy treats it as presence); it rejects what our router cannot honour
 *   (suffix, contains, range, invert, ignore_case, `present_match: false`) and regexes RE2 rejects.
 * - weighted clusters ⇄ envoy.config.route.v3.WeightedCluster {clusters [{name, weight}], total_weight}.
 *   A missing total_weight decodes as the sum of the weights.
 * - mirror percent ⇄ envoy.config.core.v3.RuntimeFractionalPercent: `default_value {numerator:
 *   percent × 10000, denominator: MILLION}` as Aeraki writes; any denominator decodes; absent is 100%.
 * - fault (extension) ⇄ aeraki…route.v1alpha.RouteFault {delay {fixed_delay, percentage}, abort
 *   {error_kind, message, percentage}}, percentages as envoy.type.v3.FractionalPercent (MILLION when
 *   written, any denominator read, unset = 100%).
 * - retry policy (extension) ⇄ envoy.config.route.v3.RetryPolicy {retry_on: "connect-failure,reset",
 *   num_retries, per_try_timeout}; other retry_on values and fields are rejected.
 */
import type {
  AttributeMatcher,
  FaultErrorKind,
  FaultResource,
  MirrorPolicy,
  RetryOnCondition,
  RetryPolicyResource,
  RouteResource,
  WeightedCluster,
} from './resources.js';
import { re2Problem } from '../api/validation/regex.js';
import type { ProtoObject } from './proto-message.js';
import { invalidResource } from './invalid-resource.js';
import { durationFromMs, msFromDuration, wrapperValue } from './well-known.js';

export function headerMatcherFromAttribute(matcher: AttributeMatcher): ProtoObject {
  switch (matcher.kind) {
    case 'exact':
      return { name: matcher.name, exact_match: matcher.value };
    case 'prefix':
      return { name: matcher.name, prefix_match: matcher.value };
    case 'regex':
      return { name: matcher.name, safe_regex_match: { google_re2: {}, regex: matcher.value } };
    case 'present':
      return { name: matcher.name, present_match: true };
  }
}

function regexMatcher(name: string, regex: unknown, label: string, path: string): AttributeMatcher {
  const pattern = String((regex as ProtoObject | undefined)?.['regex'] ?? '');
  const reason = re2Problem(pattern);
  if (reason !== undefined) {
    throw invalidResource(label, path, `regex ${JSON.stringify(pattern)} is not valid RE2: ${reason}`);
  }
  return { name, kind: 'regex', value: pattern };
}

const UNSUPPORTED_MATCHERS = ['suffix_match', 'contains_match', 'range_match'] as const;

export function attributeFromHeaderMatcher(
  matcher: ProtoObject,
  label: string,
  path: string,
): AttributeMatcher {
  const name = typeof matcher['name'] === 'string' ? matcher['name'] : '';
  if (name === '') throw invalidResource(label, `${path}.name`, 'must not be empty');
  if (matcher['invert_match'] === true)
    throw invalidResource(label, `${path}.invert_match`, 'is not supported');
  for (const field of UNSUPPORTED_MATCHERS) {
    if (field in matcher) throw invalidResource(label, `${path}.${field}`, 'is not supported');
  }
  if (typeof matcher['exact_match'] === 'string')
    return { name, kind: 'exact', value: matcher['exact_match'] };
  if (typeof matcher['prefix_match'] === 'string') {
    return { name, kind: 'prefix', value: matcher['prefix_match'] };
  }
  if ('safe_regex_match' in matcher) {
    return regexMatcher(name, matcher['safe_regex_match'], label, `${path}.safe_regex_match`);
  }
  if ('present_match' in matcher) {
    if (matcher['present_match'] !== true) {
      throw invalidResource(label, `${path}.present_match`, 'only present_match: true is supported');
    }
    return { name, kind: 'present' };
  }
  if ('string_match' in matcher) {
    const sm = matcher['string_match'] as ProtoObject;
    const at = `${path}.string_match`;
    if (sm['ignore_case'] === true) throw invalidResource(label, `${at}.ignore_case`, 'is not supported');
    if (typeof sm['exact'] === 'string') return { name, kind: 'exact', value: sm['exact'] };
    if (typeof sm['prefix'] === 'string') return { name, kind: 'prefix', value: sm['prefix'] };
    if ('safe_regex' in sm) return regexMatcher(name, sm['safe_regex'], label, `${at}.safe_regex`);
    throw invalidResource(label, at, 'only exact, prefix and safe_regex are supported');
  }
  return { name, kind: 'present' };
}

export function weightedClustersToProto(
  clusters: readonly WeightedCluster[],
  totalWeight: number,
): ProtoObject {
  return {
    clusters: clusters.map(c => ({ name: c.name, weight: { value: c.weight } })),
    total_weight: { value: totalWeight },
  };
}

export function weightedClustersFromProto(
  weighted: ProtoObject,
  label: string,
  path: string,
): { weightedClusters: WeightedCluster[]; totalWeight: number } {
  const list = (weighted['clusters'] ?? []) as ProtoObject[];
  if (list.length === 0) throw invalidResource(label, `${path}.clusters`, 'must not be empty');
  const weightedClusters = list.map((c, i) => {
    const name = typeof c['name'] === 'string' ? c['name'] : '';
    if (name === '') throw invalidResource(label, `${path}.clusters[${i}].name`, 'must not be empty');
    const weight = wrapperValue<number>(c['weight']);
    if (weight === undefined) throw invalidResource(label, `${path}.clusters[${i}].weight`, 'is required');
    return { name, weight };
  });
  const sum = weightedClusters.reduce((total, c) => total + c.weight, 0);
  if (sum === 0) throw invalidResource(label, `${path}.clusters`, 'weights must not all be 0');
  return { weightedClusters, totalWeight: wrapperValue<number>(weighted['total_weight']) ?? sum };
}

/**
 * Where a route action sends requests (Envoy's and MetaProtocol's share the shape): `cluster`, or
 * `weighted_clusters`; `at` is the action's path.
 */
export function routeTargetFromProto(
  action: ProtoObject,
  label: string,
  at: string,
): RouteResource['action'] {
  if (typeof action['cluster'] === 'string' && action['cluster'] !== '')
    return { cluster: action['cluster'] };
  if (action['weighted_clusters'] !== undefined) {
    return weightedClustersFromProto(
      action['weighted_clusters'] as ProtoObject,
      label,
      `${at}.weighted_clusters`,
    );
  }
  throw invalidResource(label, at, 'needs cluster or weighted_clusters');
}

const DENOMINATORS: Readonly<Record<string, number>> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

export function mirrorFractionFromPercent(percent: number): ProtoObject {
  return { default_value: { numerator: Math.round(percent * 10_000), denominator: 'MILLION' } };
}

export function percentFromMirrorFraction(fraction: unknown, label: string, path: string): number {
  if (fraction === undefined || fraction === null) return 100;
  const value = (fraction as ProtoObject)['default_value'] as ProtoObject | undefined;
  if (value === undefined) return 100;
  const denominator = DENOMINATORS[String(value['denominator'] ?? 'HUNDRED')];
  if (denominator === undefined)
    throw invalidResource(label, `${path}.default_value.denominator`, 'is unknown');
  const numerator = Number(value['numerator'] ?? 0);
  return Math.min(100, (numerator * 100) / denominator);
}

/** `request_mirror_policies` of a route action (Envoy's and MetaProtocol's share the shape). */
export function mirrorPoliciesFromProto(policies: unknown, label: string, at: string): MirrorPolicy[] {
  return ((policies ?? []) as ProtoObject[]).map((policy, i) => {
    const where = `${at}.request_mirror_policies[${i}]`;
    const cluster = typeof policy['cluster'] === 'string' ? policy['cluster'] : '';
    if (cluster === '') throw invalidResource(label, `${where}.cluster`, 'must not be empty');
    return {
      cluster,
      percent: percentFromMirrorFraction(policy['runtime_fraction'], label, `${where}.runtime_fraction`),
    };
  });
}

/** Message of a route's fault, inline and inside `typed_per_filter_config`. */
export const ROUTE_FAULT_MESSAGE = 'aeraki.meta_protocol_proxy.config.route.v1alpha.RouteFault';

/** The `typed_per_filter_config` key under which an RDS route carries its fault. */
export const FAULT_FILTER_CONFIG_KEY = 'aeraki.meta_protocol.filters.fault';

const FAULT_ERROR_KINDS: readonly FaultErrorKind[] = [
  'unavailable',
  'connect-failure',
  'reset',
  'timeout',
  'over-limit',
  'bad-request',
  'internal',
];

const RETRY_ON: readonly RetryOnCondition[] = ['connect-failure', 'reset'];

function fractionalPercent(percent: number): ProtoObject {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

function percentFromFractional(value: unknown, label: string, path: string): number {
  if (value === undefined || value === null) return 100;
  const fraction = value as ProtoObject;
  const denominator = DENOMINATORS[String(fraction['denominator'] ?? 'HUNDRED')];
  if (denominator === undefined) throw invalidResource(label, `${path}.denominator`, 'is unknown');
  return Math.min(100, (Number(fraction['numerator'] ?? 0) * 100) / denominator);
}

export function faultToProto(fault: FaultResource): ProtoObject {
  const out: ProtoObject = {};
  if (fault.delay !== undefined) {
    out['delay'] = {
      fixed_delay: durationFromMs(fault.delay.fixedDelayMs),
      percentage: fractionalPercent(fault.delay.percent),
    };
  }
  if (fault.abort !== undefined) {
    out['abort'] = {
      error_kind: fault.abort.errorKind,
      message: fault.abort.message ?? '',
      percentage: fractionalPercent(fault.abort.percent),
    };
  }
  return out;
}

export function faultFromProto(fault: ProtoObject, label: string, path: string): FaultResource {
  let delay: FaultResource['delay'];
  let abort: FaultResource['abort'];
  const d = fault['delay'] as ProtoObject | undefined;
  if (d !== undefined && d !== null) {
    const fixedDelayMs = msFromDuration(d['fixed_delay']) ?? 0;
    if (!(fixedDelayMs > 0)) throw invalidResource(label, `${path}.delay.fixed_delay`, 'must be more than 0');
    delay = {
      fixedDelayMs,
      percent: percentFromFractional(d['percentage'], label, `${path}.delay.percentage`),
    };
  }
  const a = fault['abort'] as ProtoObject | undefined;
  if (a !== undefined && a !== null) {
    const kind = String(a['error_kind'] ?? '');
    if (!(FAULT_ERROR_KINDS as readonly string[]).includes(kind)) {
      throw invalidResource(
        label,
        `${path}.abort.error_kind`,
        `${JSON.stringify(kind)} is not one of ${FAULT_ERROR_KINDS.join(', ')}`,
      );
    }
    const message = typeof a['message'] === 'string' && a['message'] !== '' ? a['message'] : undefined;
    abort = {
      errorKind: kind as FaultErrorKind,
      percent: percentFromFractional(a['percentage'], label, `${path}.abort.percentage`),
      ...(message === undefined ? {} : { message }),
    };
  }
  if (delay === undefined && abort === undefined)
    throw invalidResource(label, path, 'needs a delay or an abort');
  return { ...(delay === undefined ? {} : { delay }), ...(abort === undefined ? {} : { abort }) };
}

export function retryPolicyToProto(policy: RetryPolicyResource): ProtoObject {
  const out: ProtoObject = { retry_on: policy.retryOn.join(','), num_retries: { value: policy.attempts } };
  if (policy.perTryTimeoutMs !== undefined) out['per_try_timeout'] = durationFromMs(policy.perTryTimeoutMs);
  return out;
}

export function retryPolicyFromProto(policy: ProtoObject, label: string, path: string): RetryPolicyResource {
  const tokens = String(policy['retry_on'] ?? '')
    .split(',')
    .map(t => t.trim())
    .filter(t => t !== '');
  for (const token of tokens) {
    if (!(RETRY_ON as readonly string[]).includes(token)) {
      throw invalidResource(
        label,
        `${path}.retry_on`,
        `'${token}' is not supported; use ${RETRY_ON.join(', ')}`,
      );
    }
  }
  // Envoy's default when the field is unset; a UInt32Value of 0 arrives empty (proto3 drops zeros).
  const numRetries = policy['num_retries'];
  const attempts =
    numRetries === undefined || numRetries === null ? 1 : (wrapperValue<number>(numRetries) ?? 0);
  const perTryTimeoutMs = msFromDuration(policy['per_try_timeout']);
  return {
    attempts,
    retryOn: [...new Set(tokens)] as RetryOnCondition[],
    ...(perTryTimeoutMs === undefined || perTryTimeoutMs === 0 ? {} : { perTryTimeoutMs }),
  };
}
