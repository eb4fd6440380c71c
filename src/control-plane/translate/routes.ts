/**
 * MetaProtocol route tables, as Aeraki's RDS builds them: one per ServiceEntry MetaProtocol port,
 * named `<hosts[0]>_<port>`, holding the routes of the MetaRouter for that host, or a single `default`
 * route to the whole service when there is none (or it has no routes).
 *
 * Unlike Aeraki, attribute matchers are emitted in sorted name order (stable output, stable versions),
 * and a route's hash policy uses the policy that applies to its destination cluster (the subset's
 * load balancer, else the top-level one), the same policy that chose the cluster's ring-hash balancer.
 */
import {
  durationMs,
  RETRY_ON_VALUES,
  retryOnTokens,
  type Destination,
  type FaultInjection,
  type MetaRoute,
  type MetaRouteMatch,
  type MetaRouter,
  type Percentage,
  type RetryPolicy,
} from '../../api/index.js';
import type {
  AttributeMatcher,
  FaultErrorKind,
  FaultResource,
  MirrorPolicy,
  RetryOnCondition,
  RetryPolicyResource,
  RouteConfigResource,
  RouteResource,
} from '../../xds/resources.js';
import type { ConfigObject } from '../model/config-set.js';
import { effectivePolicy, hashKey } from '../model/traffic-policy.js';
import type { ClusterWants, PortLookups } from './translation-memo.js';

/** Everything needed to build the route table of one service port. */
export interface RouteTableInput {
  readonly host: string;
  readonly port: number;
  readonly router: ConfigObject<MetaRouter> | undefined;
}

export function buildRouteTable(
  input: RouteTableInput,
  index: PortLookups,
  clusters: ClusterWants,
): RouteConfigResource {
  const name = `${input.host}_${input.port}`;
  const routes = input.router?.resource.spec.routes ?? [];
  if (input.router === undefined || routes.length === 0) {
    return { name, routes: [defaultRoute(input, index, clusters)] };
  }
  const namespace = input.router.namespace;
  return { name, routes: routes.map((route, i) => buildRoute(route, i, namespace, input, index, clusters)) };
}

function defaultRoute(input: RouteTableInput, index: PortLookups, clusters: ClusterWants): RouteResource {
  return {
    name: 'default',
    match: [],
    action: { cluster: clusters.want(input.port, '', input.host) },
    hashPolicy: hashKeys(index, input.host, input.port, ''),
    mirrors: [],
    requestMutation: [],
    responseMutation: [],
  };
}

function buildRoute(
  route: MetaRoute,
  position: number,
  namespace: string,
  input: RouteTableInput,
  index: PortLookups,
  clusters: ClusterWants,
): RouteResource {
  const target = (destination: Destination): { cluster: string; hashPolicy: string[] } => {
    const host = index.resolveHost(destination.host, namespace) ?? destination.host;
    const port = destination.port?.number || input.port;
    const subset = destination.subset ?? '';
    return { cluster: clusters.want(port, subset, host), hashPolicy: hashKeys(index, host, port, subset) };
  };

  const destinations = (route.route ?? []).map(d => ({ ...target(d.destination), weight: d.weight ?? 0 }));
  const hashPolicy = [...new Set(destinations.flatMap(d => d.hashPolicy))];
  const first = destinations[0];
  const action =
    destinations.length === 1 && first !== undefined
      ? { cluster: first.cluster }
      : {
          weightedClusters: destinations.map(d => ({ name: d.cluster, weight: d.weight })),
          totalWeight: destinations.reduce((sum, d) => sum + d.weight, 0),
        };

  const mirrors: MirrorPolicy[] = [];
  if (route.mirror !== undefined) {
    const percent = route.mirrorPercentage?.value;
    mirrors.push({
      cluster: target(route.mirror).cluster,
      percent: percent !== undefined && percent > 0 ? percent : 100,
    });
  }

  const resource: RouteResource = {
    name: route.name !== undefined && route.name !== '' ? route.name : `route-${position}`,
    match: attributeMatchers(route.match),
    action,
    hashPolicy,
    mirrors,
    requestMutation: (route.requestMutation ?? []).map(({ key, value }) => ({ key, value })),
    responseMutation: (route.responseMutation ?? []).map(({ key, value }) => ({ key, value })),
  };
  return {
    ...resource,
    ...(route.timeout === undefined ? {} : { timeoutMs: durationMs(route.timeout, 0) }),
    ...(route.fault === undefined ? {} : { fault: faultResource(route.fault) }),
    ...(route.retries === undefined ? {} : { retryPolicy: retryPolicyResource(route.retries) }),
  };
}

/** An absent percentage means every request, as the extension documents. */
function percentOf(percentage: Percentage | undefined): number {
  return percentage === undefined ? 100 : (percentage.value ?? 0);
}

function faultResource(fault: FaultInjection): FaultResource {
  const { delay, abort } = fault;
  return {
    ...(delay === undefined
      ? {}
      : { delay: { fixedDelayMs: durationMs(delay.fixedDelay, 0), percent: percentOf(delay.percentage) } }),
    ...(abort === undefined
      ? {}
      : {
          abort: {
            // Validation has checked the kind against the same list.
            errorKind: abort.errorKind as FaultErrorKind,
            percent: percentOf(abort.percentage),
            ...(abort.message === undefined ? {} : { message: abort.message }),
          },
        }),
  };
}

/** Istio values that mean nothing for MetaProtocol are dropped (validation warned about them). */
function retryPolicyResource(retries: RetryPolicy): RetryPolicyResource {
  const known = RETRY_ON_VALUES as readonly string[];
  const retryOn = [...new Set(retryOnTokens(retries.retryOn).filter(t => known.includes(t)))];
  return {
    attempts: retries.attempts,
    retryOn: retryOn as RetryOnCondition[],
    ...(retries.perTryTimeout === undefined ? {} : { perTryTimeoutMs: durationMs(retries.perTryTimeout, 0) }),
  };
}

/**
 * Matchers in attribute-name order. An empty match, `regex: "*"`, `exact: ""` and `prefix: ""` test
 * presence only, as in Aeraki and Envoy.
 */
export function attributeMatchers(match: MetaRouteMatch | undefined): AttributeMatcher[] {
  const attributes = match?.attributes ?? {};
  return Object.keys(attributes)
    .sort()
    .map((name): AttributeMatcher => {
      const m = attributes[name] ?? {};
      if (m.exact !== undefined && m.exact !== '') return { name, kind: 'exact', value: m.exact };
      if (m.prefix !== undefined && m.prefix !== '') return { name, kind: 'prefix', value: m.prefix };
      if (m.regex !== undefined && m.regex !== '' && m.regex !== '*')
        return { name, kind: 'regex', value: m.regex };
      return { name, kind: 'present' };
    });
}

function hashKeys(index: PortLookups, host: string, port: number, subset: string): string[] {
  const key = hashKey(effectivePolicy(index.destinationRuleFor(host)?.resource.spec, port, subset));
  return key === undefined ? [] : [key];
}
