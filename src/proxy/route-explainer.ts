/**
 * "Why did this request go there": runs a set of request attributes through a route table with the
 * same compiled matchers the proxy uses for live traffic, and reports the route that matches, where
 * it sends requests, and for every earlier route which attributes failed. Served by the admin API
 * (`/explain`) and printed by `aeraki explain`.
 */
import { Metadata } from '../codec/index.js';
import type { RouteTable } from '../filters/router/route-table.js';
import type { HeaderValue, MirrorPolicy } from '../xds/resources.js';

/** One destination of the matched route, with its share of requests in percent. */
export interface ExplainedDestination {
  readonly cluster: string;
  readonly weight: number;
  readonly percent: number;
}

/** The matched route and what it does with a request. */
export interface ExplainedRoute {
  readonly route: string;
  readonly destinations: readonly ExplainedDestination[];
  /** Share of requests that no destination takes (weights below the total): they get no route. */
  readonly unassignedPercent: number;
  readonly mirrors: readonly MirrorPolicy[];
  readonly requestMutation: readonly HeaderValue[];
  readonly responseMutation: readonly HeaderValue[];
  readonly hashPolicy: readonly string[];
  readonly timeoutMs?: number;
}

export interface RouteExplanationReport {
  readonly routeTable: string;
  /** Listeners (`<address>_<port>`) that route by this table. */
  readonly listeners: readonly string[];
  /** The attributes explained, keys lower-cased as codecs report them. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Undefined when no route matches: the request would get the protocol's "no route" reply. */
  readonly matched: ExplainedRoute | undefined;
  /** Earlier routes and why each did not match, in table order. */
  readonly skipped: readonly { readonly route: string; readonly reasons: readonly string[] }[];
}

/** Explains how `table` routes a request carrying `attributes`. */
export function explainRoute(
  table: RouteTable,
  attributes: Iterable<readonly [string, string]>,
  listeners: readonly string[],
): RouteExplanationReport {
  const metadata = new Metadata();
  for (const [key, value] of attributes) metadata.set(key, value);
  const explanation = table.explain(metadata);
  const route = table.routes.find(r => r.name === explanation.matched);
  let matched: ExplainedRoute | undefined;
  if (route !== undefined) {
    const action = route.source.action;
    const weighted = 'cluster' in action ? [{ name: action.cluster, weight: 1 }] : action.weightedClusters;
    const total = 'cluster' in action ? 1 : Math.max(action.totalWeight, sum(weighted.map(c => c.weight)));
    const destinations = weighted
      .filter(c => c.weight > 0)
      .map(c => ({ cluster: c.name, weight: c.weight, percent: round2((100 * c.weight) / total) }));
    matched = {
      route: route.name,
      destinations,
      unassignedPercent: round2(100 - sum(destinations.map(d => d.percent))),
      mirrors: route.mirrors,
      requestMutation: route.source.requestMutation,
      responseMutation: route.source.responseMutation,
      hashPolicy: route.hashPolicy,
      ...(route.timeoutMs === undefined ? {} : { timeoutMs: route.timeoutMs }),
    };
  }
  return {
    routeTable: table.name,
    listeners,
    attributes: metadata.toJSON(),
    matched,
    skipped: explanation.skipped,
  };
}

/**
 * The route tables a user means by `service`: a table name (`<host>_<port>`) as it is, or a host
 * (optionally `host:port`, or with `port` given) matched against `<host>_<port>` names.
 */
export function routeTablesForService(names: Iterable<string>, service: string, port?: number): string[] {
  const all = [...names];
  if (all.includes(service)) return [service];
  let host = service;
  let wantedPort = port;
  const colon = service.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(service.slice(colon + 1))) {
    host = service.slice(0, colon);
    wantedPort = Number(service.slice(colon + 1));
  }
  return all
    .filter(name => {
      const cut = name.lastIndexOf('_');
      if (cut <= 0 || name.slice(0, cut) !== host) return false;
      return wantedPort === undefined || name.slice(cut + 1) === String(wantedPort);
    })
    .sort();
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
