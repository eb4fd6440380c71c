/**
 * Which MetaRouter route the demo's calls take, and the split it configures, so the live view can
 * show the configured percentages next to the measured ones. Matching follows the router: routes in
 * order, every attribute must match; `exact`, `prefix`, or an RE2 `regex` on the whole value; an
 * empty matcher (or `regex: "*"`, `exact: ""`) means the attribute is present.
 */
import { RE2JS } from 're2js';
import type { MetaRoute, StringMatch } from '../../src/api/index.js';

/** The route the calls take and its weights by subset (a destination without a subset counts as `all`). */
export interface ConfiguredSplit {
  readonly routeName: string;
  readonly weights: ReadonlyMap<string, number>;
}

/** The split for calls with `attributes`, or undefined when no route matches them. */
export function configuredSplit(
  routes: readonly MetaRoute[],
  attributes: ReadonlyMap<string, string>,
): ConfiguredSplit | undefined {
  const index = routes.findIndex(route =>
    Object.entries(route.match?.attributes ?? {}).every(([name, match]) =>
      matches(match, attributes.get(name.toLowerCase())),
    ),
  );
  const route = routes[index];
  if (route === undefined) return undefined;
  const destinations = route.route ?? [];
  const weights = new Map<string, number>();
  for (const { destination, weight } of destinations) {
    const subset = destination.subset ?? 'all';
    weights.set(subset, (weights.get(subset) ?? 0) + (weight ?? (destinations.length === 1 ? 100 : 0)));
  }
  return { routeName: route.name ?? `routes[${index}]`, weights };
}

function matches(match: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (match.exact !== undefined && match.exact !== '') return value === match.exact;
  if (match.prefix !== undefined) return value.startsWith(match.prefix);
  if (match.regex !== undefined && match.regex !== '*') {
    try {
      return RE2JS.compile(match.regex).matches(value);
    } catch {
      return false;
    }
  }
  return true;
}
