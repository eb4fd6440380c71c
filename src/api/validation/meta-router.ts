/**
 * MetaRouter rules, as Aeraki's admission webhook checks them (plus RE2 regexes and a warning for
 * routes that can never be reached). Cross-document rules (does the destination host exist?) live with
 * the config model.
 */
import { parseDurationMs } from '../duration.js';
import type { FieldIssue, FieldPath } from '../issue.js';
import type { Destination, MetaFilter, MetaRoute, MetaRouterSpec } from '../meta-router.js';
import { fqdnProblem, isDns1123Label, parseClusterName } from '../names.js';
import type { GlobalRateLimit, LocalRateLimit, MetaRouteMatch, TokenBucket } from '../rate-limit.js';
import { validateExportTo } from './export-to.js';
import { re2Problem } from './regex.js';
import { validateRoutePolicies } from './route-policies.js';

/** Shortest token-bucket fill interval, as the original proxy requires. */
const MIN_FILL_INTERVAL_MS = 50;

export function validateMetaRouter(spec: MetaRouterSpec, namespace: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const error = (path: FieldPath, rule: string, message: string): void => {
    issues.push({ severity: 'error', path, rule, message });
  };

  if (spec.hosts.length !== 1) {
    error(
      ['spec', 'hosts'],
      'hosts-count',
      `a MetaRouter must have exactly one host, not ${spec.hosts.length}`,
    );
  }
  spec.hosts.forEach((host, i) => {
    const problem = fqdnProblem(host);
    if (problem !== undefined)
      error(['spec', 'hosts', i], 'host-fqdn', `host '${host}' is not a valid FQDN: ${problem}`);
  });

  const routes = spec.routes ?? [];
  if (routes.length === 0 && spec.globalRateLimit === undefined && spec.localRateLimit === undefined) {
    error(['spec'], 'routes-or-rate-limit', 'a MetaRouter needs routes, localRateLimit or globalRateLimit');
  }
  routes.forEach((route, i) => issues.push(...validateRoute(route, ['spec', 'routes', i])));
  routes.forEach((route, i) => {
    if (i < routes.length - 1 && isMatchless(route)) {
      issues.push({
        severity: 'warning',
        path: ['spec', 'routes', i],
        rule: 'unreachable-route',
        message: `route ${describeRoute(route, i)} has no match, so the routes after it are never used; only the last route can have no match`,
      });
    }
  });

  issues.push(...validateExportTo(spec.exportTo, namespace, ['spec', 'exportTo'], false));
  if (spec.globalRateLimit !== undefined) {
    issues.push(...validateGlobalRateLimit(spec.globalRateLimit, ['spec', 'globalRateLimit']));
  }
  if (spec.localRateLimit !== undefined) {
    issues.push(...validateLocalRateLimit(spec.localRateLimit, ['spec', 'localRateLimit']));
  }
  if (spec.filters !== undefined) issues.push(...validateFilters(spec, spec.filters));
  return issues;
}

function isMatchless(route: MetaRoute): boolean {
  return Object.keys(route.match?.attributes ?? {}).length === 0;
}

function describeRoute(route: MetaRoute, index: number): string {
  return route.name === undefined || route.name === '' ? `#${index}` : `'${route.name}'`;
}

function validateRoute(route: MetaRoute, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (route.match !== undefined) issues.push(...validateMatch(route.match, [...path, 'match']));
  for (const field of ['requestMutation', 'responseMutation'] as const) {
    route[field]?.forEach((kv, i) => {
      if (kv.key === '') {
        issues.push(err([...path, field, i, 'key'], 'mutation-key-empty', `${field} key must not be empty`));
      }
      if (kv.value === '') {
        issues.push(
          err([...path, field, i, 'value'], 'mutation-value-empty', `${field} value must not be empty`),
        );
      }
    });
  }
  if (route.mirrorPercentage !== undefined) {
    const value = route.mirrorPercentage.value ?? 0;
    if (route.mirror === undefined) {
      issues.push(
        err(
          [...path, 'mirrorPercentage'],
          'mirror-percentage-requires-mirror',
          'mirrorPercentage needs a mirror',
        ),
      );
    }
    if (!(value > 0 && value <= 100)) {
      issues.push(
        err(
          [...path, 'mirrorPercentage', 'value'],
          'mirror-percentage-range',
          `mirrorPercentage.value must be more than 0 and at most 100, not ${value}`,
        ),
      );
    }
  }
  if (route.mirror !== undefined) issues.push(...validateDestination(route.mirror, [...path, 'mirror']));
  if (route.timeout !== undefined && parseDurationMs(route.timeout) === 0) {
    issues.push(
      err([...path, 'timeout'], 'route-timeout', 'timeout must be more than 0; omit it for the default'),
    );
  }
  issues.push(...validateRoutePolicies(route, path));

  const destinations = route.route ?? [];
  if (destinations.length === 0) {
    issues.push(
      err(
        route.route === undefined ? path : [...path, 'route'],
        'route-no-destination',
        `route ${describeRoute(route, Number(path[path.length - 1]))} must have at least one destination`,
      ),
    );
  }
  destinations.forEach((d, i) => {
    const at = [...path, 'route', i];
    issues.push(...validateDestination(d.destination, [...at, 'destination']));
    if (d.weight !== undefined && d.weight > 100) {
      issues.push(err([...at, 'weight'], 'weight-range', `weight must be at most 100, not ${d.weight}`));
    }
  });
  if (destinations.length > 1) {
    const sum = destinations.reduce((total, d) => total + (d.weight ?? 0), 0);
    if (sum !== 100) {
      issues.push(
        err(
          [...path, 'route'],
          'weights-sum-100',
          `the weights of ${destinations.length} destinations must sum to 100, not ${sum}`,
        ),
      );
    }
  }
  return issues;
}

function validateDestination(destination: Destination, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const hostProblem = fqdnProblem(destination.host);
  if (hostProblem !== undefined) {
    issues.push(
      err(
        [...path, 'host'],
        'destination-host',
        `host '${destination.host}' is not a valid FQDN: ${hostProblem}`,
      ),
    );
  }
  if (destination.subset !== undefined && destination.subset !== '' && !isDns1123Label(destination.subset)) {
    issues.push(
      err(
        [...path, 'subset'],
        'destination-subset',
        `subset '${destination.subset}' must be a DNS-1123 label (lower-case letters, digits, '-')`,
      ),
    );
  }
  const port = destination.port?.number;
  if (destination.port !== undefined && (port === undefined || port < 1 || port > 65535)) {
    issues.push(
      err(
        [...path, 'port', 'number'],
        'destination-port',
        `port must be between 1 and 65535, not ${port ?? 0}`,
      ),
    );
  }
  return issues;
}

/** Checks a match: attribute names, one of exact/prefix/regex, RE2 regexes. */
export function validateMatch(match: MetaRouteMatch, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, stringMatch] of Object.entries(match.attributes ?? {})) {
    const at = [...path, 'attributes', name];
    if (name === '') issues.push(err(at, 'attribute-name-empty', 'attribute name must not be empty'));
    const set = (['exact', 'prefix', 'regex'] as const).filter(k => stringMatch[k] !== undefined);
    if (set.length > 1) {
      issues.push(
        err(at, 'string-match-oneof', `attribute '${name}' sets ${set.join(' and ')}; set only one of them`),
      );
    }
    const regex = stringMatch.regex;
    if (regex === undefined) continue;
    if (regex === '') {
      issues.push(err([...at, 'regex'], 'regex-empty', `regex of attribute '${name}' must not be empty`));
    } else if (regex === '*') {
      issues.push({
        severity: 'warning',
        path: [...at, 'regex'],
        rule: 'regex-star',
        message: `regex "*" is not a regular expression; it is read as "attribute '${name}' is present" (write ${name}: {} instead)`,
      });
    } else {
      const problem = re2Problem(regex);
      if (problem !== undefined) {
        issues.push(
          err([...at, 'regex'], 'regex-invalid', `regex of attribute '${name}' is not valid RE2: ${problem}`),
        );
      }
    }
  }
  return issues;
}

function validateGlobalRateLimit(limit: GlobalRateLimit, path: FieldPath): FieldIssue[] {
  const issues = validateMatch(limit.match, [...path, 'match']);
  if (limit.domain === '')
    issues.push(err([...path, 'domain'], 'rate-limit-domain', 'domain must not be empty'));
  if (limit.rateLimitService === '') {
    issues.push(
      err([...path, 'rateLimitService'], 'rate-limit-service', 'rateLimitService must not be empty'),
    );
  } else if (parseClusterName(limit.rateLimitService) === undefined) {
    issues.push(
      err(
        [...path, 'rateLimitService'],
        'rate-limit-service',
        `rateLimitService '${limit.rateLimitService}' must be a cluster name outbound|<port>|<subset>|<host>, e.g. outbound|8081||rate-limit-server.ns.svc.cluster.local`,
      ),
    );
  }
  if (limit.requestTimeout !== undefined && parseDurationMs(limit.requestTimeout) === 0) {
    issues.push(
      err(
        [...path, 'requestTimeout'],
        'rate-limit-timeout',
        'requestTimeout must be more than 0; omit it for the default 20ms',
      ),
    );
  }
  if (limit.descriptors.length === 0) {
    issues.push(err([...path, 'descriptors'], 'rate-limit-descriptors', 'descriptors must not be empty'));
  }
  limit.descriptors.forEach((descriptor, i) => {
    for (const field of ['property', 'descriptorKey'] as const) {
      if (descriptor[field] === '') {
        issues.push(
          err([...path, 'descriptors', i, field], 'rate-limit-descriptor', `${field} must not be empty`),
        );
      }
    }
  });
  return issues;
}

function validateLocalRateLimit(limit: LocalRateLimit, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const conditions = limit.conditions ?? [];
  if (limit.tokenBucket === undefined && conditions.length === 0) {
    issues.push(err(path, 'local-rate-limit-empty', 'localRateLimit needs a tokenBucket or conditions'));
  }
  if (limit.tokenBucket !== undefined)
    issues.push(...validateTokenBucket(limit.tokenBucket, [...path, 'tokenBucket']));
  conditions.forEach((condition, i) => {
    issues.push(...validateMatch(condition.match, [...path, 'conditions', i, 'match']));
    issues.push(...validateTokenBucket(condition.tokenBucket, [...path, 'conditions', i, 'tokenBucket']));
  });
  return issues;
}

function validateTokenBucket(bucket: TokenBucket, path: FieldPath): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (bucket.maxTokens < 1) {
    issues.push(
      err([...path, 'maxTokens'], 'token-bucket', `maxTokens must be at least 1, not ${bucket.maxTokens}`),
    );
  }
  if (bucket.tokensPerFill !== undefined && bucket.tokensPerFill < 1) {
    issues.push(
      err(
        [...path, 'tokensPerFill'],
        'token-bucket',
        `tokensPerFill must be at least 1, not ${bucket.tokensPerFill}`,
      ),
    );
  }
  const fillIntervalMs = parseDurationMs(bucket.fillInterval) ?? 0;
  if (fillIntervalMs < MIN_FILL_INTERVAL_MS) {
    issues.push(
      err(
        [...path, 'fillInterval'],
        'token-bucket',
        `fillInterval must be at least ${MIN_FILL_INTERVAL_MS}ms, not ${bucket.fillInterval}`,
      ),
    );
  }
  return issues;
}

function err(path: FieldPath, rule: string, message: string): FieldIssue {
  return { severity: 'error', path, rule, message };
}

const FILTER_PREFIX = 'aeraki.meta_protocol.filters.';
const FILTER_SUFFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ROUTER = `${FILTER_PREFIX}router`;
/** The rate-limit filters, and the MetaRouter field that configures each. */
const RATE_LIMIT_FIELDS: Readonly<Record<string, 'localRateLimit' | 'globalRateLimit'>> = {
  [`${FILTER_PREFIX}local_ratelimit`]: 'localRateLimit',
  [`${FILTER_PREFIX}ratelimit`]: 'globalRateLimit',
};
/** Aeraki's Istio telemetry filters: aeraki's own stats replace them; nothing to configure. */
const TELEMETRY_FILTERS = new Set([`${FILTER_PREFIX}metadata_exchange`, `${FILTER_PREFIX}istio_stats`]);

/**
 * The filter chain's own rules: names that are filter names; the router, if listed, last and bare;
 * a rate limit listed only to place it (bare, once, with its field set). Whether a filter exists and
 * whether its config fits its schema depends on the proxies' filters: see the config model's checks.
 */
function validateFilters(spec: MetaRouterSpec, filters: readonly MetaFilter[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  filters.forEach((filter, i) => {
    const at: FieldPath = ['spec', 'filters', i];
    const name = filter.name;
    if (!name.startsWith(FILTER_PREFIX) || !FILTER_SUFFIX.test(name.slice(FILTER_PREFIX.length))) {
      issues.push(
        err([...at, 'name'], 'filter-name', `filter name '${name}' must look like '${FILTER_PREFIX}<name>'`),
      );
      return;
    }
    if (name === ROUTER) {
      if (i !== filters.length - 1)
        issues.push(
          err([...at, 'name'], 'filter-router-last', 'the router runs last; list it last or leave it out'),
        );
      if (filter.config !== undefined)
        issues.push(
          err(
            [...at, 'config'],
            'filter-builtin-config',
            'the router takes no config here; its routes are spec.routes',
          ),
        );
      return;
    }
    if (TELEMETRY_FILTERS.has(name)) {
      issues.push(
        err(
          [...at, 'name'],
          'filter-telemetry',
          `'${name}' is Istio telemetry, which aeraki's own stats replace; leave it out`,
        ),
      );
      return;
    }
    const field = RATE_LIMIT_FIELDS[name];
    if (field === undefined) return;
    if (seen.has(name)) issues.push(err([...at, 'name'], 'filter-listed-twice', `'${name}' is listed twice`));
    seen.add(name);
    if (filter.config !== undefined) {
      issues.push(
        err(
          [...at, 'config'],
          'filter-builtin-config',
          `'${name}' takes its config from spec.${field}; list it here without config to place it`,
        ),
      );
    }
    if (spec[field] === undefined) {
      issues.push(
        err([...at, 'name'], 'filter-rate-limit-unset', `'${name}' is listed but spec.${field} is not set`),
      );
    }
  });
  return issues;
}
