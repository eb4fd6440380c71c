import type { Metadata, Mutation } from '../../codec/index.js';
import type {
  HeaderValue,
  MirrorPolicy,
  RouteConfigResource,
  RouteResource,
  WeightedCluster,
} from '../../xds/resources.js';
import { hashString } from '../../upstream/hash.js';
import { RouteFault } from '../fault/route-fault.js';
import { CompiledRetryPolicy, DEFAULT_RETRY_POLICY } from './retry-policy.js';
import {
  compileAttributeMatcher,
  describeMismatch,
  type CompiledAttributeMatcher,
} from './attribute-matcher.js';

const NO_MUTATION: Mutation = new Map();

/** A route ready to run: matchers compiled, weights accumulated, mutations as maps. */
export class CompiledRoute {
  readonly name: string;
  readonly matchers: readonly CompiledAttributeMatcher[];
  readonly requestMutation: Mutation;
  readonly responseMutation: Mutation;
  readonly mirrors: readonly MirrorPolicy[];
  readonly hashPolicy: readonly string[];
  readonly timeoutMs: number | undefined;
  /** Fault injection; undefined for routes without one (the common case, which costs nothing). */
  readonly fault: RouteFault | undefined;
  /** Retries: the route's policy, or Istio's default when it has none (DEFAULT_RETRY_POLICY). */
  readonly retryPolicy: CompiledRetryPolicy;
  private readonly cluster: string | undefined;
  private readonly weighted: readonly WeightedCluster[];
  /** Running sums of the weights, so a pick is one random number and a short scan. */
  private readonly cumulative: readonly number[];
  private readonly totalWeight: number;

  constructor(readonly source: RouteResource) {
    this.name = source.name;
    this.matchers = source.match.map(compileAttributeMatcher);
    this.requestMutation = toMutation(source.requestMutation);
    this.responseMutation = toMutation(source.responseMutation);
    this.mirrors = source.mirrors;
    this.hashPolicy = source.hashPolicy;
    this.timeoutMs = source.timeoutMs;
    this.fault = source.fault === undefined ? undefined : new RouteFault(source.name, source.fault);
    this.retryPolicy =
      source.retryPolicy === undefined ? DEFAULT_RETRY_POLICY : new CompiledRetryPolicy(source.retryPolicy);
    if ('cluster' in source.action) {
      this.cluster = source.action.cluster;
      this.weighted = [];
      this.cumulative = [];
      this.totalWeight = 0;
    } else {
      this.cluster = undefined;
      this.weighted = source.action.weightedClusters.filter(c => c.weight > 0);
      let sum = 0;
      this.cumulative = this.weighted.map(c => (sum += c.weight));
      // Envoy honours total_weight; the original ignored it (metaprotocol.md §9 #17). When it is larger
      // than the sum, the remainder selects no cluster, as in Envoy; a smaller one is treated as the sum.
      this.totalWeight = Math.max(sum, source.action.totalWeight);
    }
  }

  /** Whether every matcher accepts `metadata` (an empty match accepts everything). */
  matches(metadata: Metadata): boolean {
    const matchers = this.matchers;
    for (let i = 0; i < matchers.length; i++) {
      if (!matchers[i]!.test(metadata)) return false;
    }
    return true;
  }

  /** The cluster for one request; `undefined` only when weights leave a share unassigned. */
  pickCluster(): string | undefined {
    if (this.cluster !== undefined) return this.cluster;
    const roll = Math.random() * this.totalWeight;
    const cumulative = this.cumulative;
    for (let i = 0; i < cumulative.length; i++) {
      if (roll < cumulative[i]!) return this.weighted[i]!.name;
    }
    return undefined;
  }

  /**
   * The consistent-hash key of a request: the values of the route's hash-policy keys, sorted so that
   * key order does not matter (as the original does), missing keys as empty strings.
   */
  hashKey(metadata: Metadata): number | undefined {
    const keys = this.hashPolicy;
    if (keys.length === 0) return undefined;
    if (keys.length === 1) return hashString(metadata.get(keys[0]!.toLowerCase()) ?? '');
    const values = keys.map(k => metadata.get(k.toLowerCase()) ?? '').sort();
    return hashString(values.join('\u0000'));
  }
}

/** Result of {@link RouteTable.explain}: which route matched and why earlier routes did not. */
export interface RouteExplanation {
  readonly matched: string | undefined;
  readonly skipped: readonly { readonly route: string; readonly reasons: readonly string[] }[];
}

/**
 * An immutable, compiled route table. A new table replaces the old one as a whole; requests keep the
 * table they started with.
 */
export class RouteTable {
  readonly name: string;
  readonly routes: readonly CompiledRoute[];

  constructor(readonly source: RouteConfigResource) {
    this.name = source.name;
    this.routes = source.routes.map(r => new CompiledRoute(r));
  }

  /** The first route whose matchers all accept `metadata`. */
  match(metadata: Metadata): CompiledRoute | undefined {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      if (routes[i]!.matches(metadata)) return routes[i];
    }
    return undefined;
  }

  /** Like {@link match}, but says for each earlier route which attributes failed. */
  explain(metadata: Metadata): RouteExplanation {
    const skipped: { route: string; reasons: string[] }[] = [];
    for (const route of this.routes) {
      const reasons = route.matchers
        .filter(m => !m.test(metadata))
        .map(m => describeMismatch(m.source, metadata));
      if (reasons.length === 0) return { matched: route.name, skipped };
      skipped.push({ route: route.name, reasons });
    }
    return { matched: undefined, skipped };
  }
}

function toMutation(values: readonly HeaderValue[]): Mutation {
  if (values.length === 0) return NO_MUTATION;
  const map = new Map<string, string>();
  for (const { key, value } of values) map.set(key, value);
  return map;
}
