/**
 * Rules that need more than one document: references from MetaRouters to ServiceEntry hosts,
 * DestinationRule subsets and ports; application protocols named by port names; addresses and ports
 * claimed twice; several objects competing for one host; the Redis kinds (redis-issues.ts).
 */
import {
  isWildcardHost,
  parseClusterName,
  selectPortProtocol,
  singleAddress,
  type ApplicationProtocol,
  type ConfigIssue,
  type Destination,
  type DestinationRule,
  type FieldPath,
  type MetaRouter,
  type ServiceEntry,
} from '../../api/index.js';
import type { ConfigObject, ConfigSet } from './config-set.js';
import type { ConfigIndex } from './config-index.js';
import { describeObject, issueAt } from './issue-at.js';
import { DEFAULT_MESH_OPTIONS, exportRank, resolveExports, type Exports } from './mesh-options.js';
import { redisIssues } from './redis-issues.js';

export function crossDocumentIssues(config: ConfigSet, index: ConfigIndex): ConfigIssue[] {
  return [
    ...duplicateNames(config),
    ...applicationProtocolConflicts(config),
    ...serviceEntryIssues(config, index),
    ...destinationRuleIssues(config, index),
    ...metaRouterIssues(config, index),
    ...redisIssues(config, index),
  ];
}

function duplicateNames(config: ConfigSet): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const lists = [
    config.serviceEntries,
    config.destinationRules,
    config.metaRouters,
    config.applicationProtocols,
    config.redisServices,
    config.redisDestinations,
    config.secrets,
    config.dubboAuthorizationPolicies,
  ];
  for (const list of lists) {
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1];
      const current = list[i];
      if (previous === undefined || current === undefined || previous.key !== current.key) continue;
      issues.push(
        issueAt(
          current,
          'error',
          ['metadata', 'name'],
          'duplicate-name',
          `${current.resource.kind} ${current.key} is already defined by ${describeObject(previous)}`,
        ),
      );
    }
  }
  return issues;
}

function applicationProtocolConflicts(config: ConfigSet): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const first = new Map<string, ConfigObject<ApplicationProtocol>>();
  for (const object of config.applicationProtocols) {
    const spec = object.resource.spec;
    const earlier = first.get(spec.protocol);
    if (earlier === undefined) {
      first.set(spec.protocol, object);
    } else if (earlier.resource.spec.codec !== spec.codec) {
      issues.push(
        issueAt(
          object,
          'error',
          ['spec', 'codec'],
          'application-protocol-conflict',
          `protocol '${spec.protocol}' is already bound to codec ${earlier.resource.spec.codec} by ${describeObject(earlier)}`,
        ),
      );
    }
  }
  return issues;
}

function serviceEntryIssues(config: ConfigSet, index: ConfigIndex): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const addressClaims = new Map<string, ConfigObject<ServiceEntry>>();
  const hostPortClaims = new Map<string, ConfigObject<ServiceEntry>>();
  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    spec.ports.forEach((port, p) => {
      (spec.addresses ?? []).forEach((address, a) => {
        const claim = `${singleAddress(address) ?? address}:${port.number}`;
        const owner = addressClaims.get(claim);
        if (owner === undefined) addressClaims.set(claim, entry);
        else if (owner !== entry) {
          issues.push(
            issueAt(
              entry,
              'error',
              ['spec', 'addresses', a],
              'address-port-conflict',
              `${claim} is already claimed by ${describeObject(owner)}`,
            ),
          );
        }
      });

      const selected = selectPortProtocol(port.name);
      if (selected.family !== 'metaprotocol') return;
      if (index.protocol(selected.protocol) === undefined) {
        issues.push(
          issueAt(
            entry,
            'error',
            ['spec', 'ports', p, 'name'],
            'unknown-application-protocol',
            `port '${port.name}' selects protocol '${selected.protocol}', which no ApplicationProtocol defines (known: ${index.protocolNames().join(', ')}); add an ApplicationProtocol with spec.protocol '${selected.protocol}'`,
          ),
        );
        return;
      }
      for (const host of spec.hosts) {
        if (isWildcardHost(host)) continue;
        const claim = `${host}:${port.number}`;
        const owner = hostPortClaims.get(claim);
        if (owner === undefined) hostPortClaims.set(claim, entry);
        else if (owner !== entry) {
          issues.push(
            issueAt(
              entry,
              'warning',
              ['spec', 'ports', p],
              'host-port-conflict',
              `host ${host} port ${port.number} is also defined by ${describeObject(owner)}, which is used`,
            ),
          );
        }
      }
    });
  }
  return issues;
}

function destinationRuleIssues(config: ConfigSet, index: ConfigIndex): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const used = new Set<ConfigObject<DestinationRule>>();
  const warnedConflict = new Set<ConfigObject<DestinationRule>>();
  const warnedSubsets = new Set<string>();
  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    for (const host of spec.hosts) {
      const rules = index.destinationRulesFor(host);
      rules.forEach(rule => used.add(rule));
      const [chosen] = rules;
      if (chosen === undefined) continue;
      // Proxies look a host's rule up namespace by namespace (their own, the service's, the root):
      // only rules of one namespace compete, and the first of each is used.
      const firstOfNamespace = new Map<string, ConfigObject<DestinationRule>>();
      for (const rule of rules) {
        const first = firstOfNamespace.get(rule.namespace);
        if (first === undefined) {
          firstOfNamespace.set(rule.namespace, rule);
          continue;
        }
        if (warnedConflict.has(rule)) continue;
        warnedConflict.add(rule);
        issues.push(
          issueAt(
            rule,
            'warning',
            ['spec', 'host'],
            'destination-rule-conflict',
            `${describeObject(first)} also applies to ${host} and is used instead`,
          ),
        );
      }
      // Subsets are checked against the entry that serves the host (the first one), once per entry.
      const serves = index.serviceEntriesFor(host)[0] === entry;
      if (host !== spec.hosts[0] || !serves || (spec.endpoints ?? []).length === 0) continue;
      chosen.resource.spec.subsets?.forEach((subset, s) => {
        const labels = Object.entries(subset.labels ?? {});
        const selected = (spec.endpoints ?? []).some(ep => labels.every(([k, v]) => ep.labels?.[k] === v));
        const once = `${chosen.key}|${s}|${entry.key}`;
        if (!selected && !warnedSubsets.has(once)) {
          warnedSubsets.add(once);
          issues.push(
            issueAt(
              chosen,
              'warning',
              ['spec', 'subsets', s, 'labels'],
              'subset-no-endpoints',
              `subset '${subset.name}' selects none of the endpoints of ${describeObject(entry)}`,
            ),
          );
        }
      });
    }
  }
  for (const rule of config.destinationRules) {
    if (used.has(rule)) continue;
    issues.push(
      issueAt(
        rule,
        'warning',
        ['spec', 'host'],
        'destination-rule-unused',
        `host '${rule.resource.spec.host}' matches no ServiceEntry host, so this DestinationRule applies to nothing`,
      ),
    );
  }
  return issues;
}

function metaRouterIssues(config: ConfigSet, index: ConfigIndex): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const forHost = new Map<string, ConfigObject<MetaRouter>[]>();
  for (const router of config.metaRouters) {
    const spec = router.resource.spec;
    const written = spec.hosts[0] ?? '';
    const host = index.resolveHost(written, router.namespace);
    if (host === undefined) {
      issues.push(
        issueAt(
          router,
          'warning',
          ['spec', 'hosts', 0],
          'metarouter-unused',
          `no ServiceEntry has host '${written}', so this MetaRouter applies to nothing`,
        ),
      );
    } else {
      const servesMetaProtocol = index
        .serviceEntriesFor(host)
        .some(se => se.resource.spec.ports.some(p => selectPortProtocol(p.name).family === 'metaprotocol'));
      // Routers compete only where proxies would rank them alike (see routersCompete).
      const earlier = (forHost.get(host) ?? []).find(other => routersCompete(other, router));
      if (!servesMetaProtocol) {
        issues.push(
          issueAt(
            router,
            'warning',
            ['spec', 'hosts', 0],
            'metarouter-unused',
            `ServiceEntry host '${host}' has no MetaProtocol port (named tcp-metaprotocol-<protocol>-…), so this MetaRouter applies to nothing`,
          ),
        );
      } else if (earlier !== undefined) {
        issues.push(
          issueAt(
            router,
            'warning',
            ['spec', 'hosts', 0],
            'metarouter-conflict',
            `${describeObject(earlier)} also routes ${host} and is used instead`,
          ),
        );
      } else {
        const list = forHost.get(host);
        if (list === undefined) forHost.set(host, [router]);
        else list.push(router);
      }
    }
    spec.routes?.forEach((route, r) => {
      route.route?.forEach((d, i) => {
        issues.push(
          ...destinationIssues(router, index, d.destination, [
            'spec',
            'routes',
            r,
            'route',
            i,
            'destination',
          ]),
        );
      });
      if (route.mirror !== undefined) {
        issues.push(...destinationIssues(router, index, route.mirror, ['spec', 'routes', r, 'mirror']));
      }
    });
    issues.push(...rateLimitServiceIssues(router, index));
  }
  return issues;
}

/** `globalRateLimit.rateLimitService` must name a cluster this config builds: a known host, port and subset. */
function rateLimitServiceIssues(router: ConfigObject<MetaRouter>, index: ConfigIndex): ConfigIssue[] {
  const written = router.resource.spec.globalRateLimit?.rateLimitService;
  const cluster = written === undefined ? undefined : parseClusterName(written);
  if (cluster === undefined) return [];
  const problem = (message: string): ConfigIssue[] => [
    issueAt(
      router,
      'error',
      ['spec', 'globalRateLimit', 'rateLimitService'],
      'rate-limit-service-unknown',
      `rateLimitService '${written}': ${message}`,
    ),
  ];
  const host = index.resolveHost(cluster.host, router.namespace);
  if (host === undefined) {
    return problem(`no ServiceEntry has host '${cluster.host}'; add one for the rate-limit service`);
  }
  if (index.servicePort(host, cluster.port) === undefined) {
    const known = index.serviceEntriesFor(host).flatMap(se => se.resource.spec.ports.map(p => p.number));
    return problem(`host '${host}' has no port ${cluster.port} (ports: ${[...new Set(known)].join(', ')})`);
  }
  if (cluster.subset !== '') {
    const subsets = index.destinationRuleFor(host)?.resource.spec.subsets ?? [];
    if (!subsets.some(s => s.name === cluster.subset)) {
      return problem(`subset '${cluster.subset}' of host '${host}' is not defined by a DestinationRule`);
    }
  }
  return [];
}

function destinationIssues(
  router: ConfigObject<MetaRouter>,
  index: ConfigIndex,
  destination: Destination,
  path: FieldPath,
): ConfigIssue[] {
  const host = index.resolveHost(destination.host, router.namespace);
  if (host === undefined) {
    return [
      issueAt(
        router,
        'error',
        [...path, 'host'],
        'destination-host-unknown',
        `no ServiceEntry has host '${destination.host}'`,
      ),
    ];
  }
  const issues: ConfigIssue[] = [];
  const port = destination.port?.number;
  if (port !== undefined && index.servicePort(host, port) === undefined) {
    const known = new Set(
      index.serviceEntriesFor(host).flatMap(se => se.resource.spec.ports.map(p => p.number)),
    );
    issues.push(
      issueAt(
        router,
        'error',
        [...path, 'port', 'number'],
        'destination-port-unknown',
        `host '${host}' has no port ${port} (ports: ${[...known].join(', ')})`,
      ),
    );
  }
  const subset = destination.subset ?? '';
  if (subset !== '') {
    const rule = index.destinationRuleFor(host);
    if (rule === undefined) {
      issues.push(
        issueAt(
          router,
          'error',
          [...path, 'subset'],
          'destination-subset-unknown',
          `subset '${subset}' is not defined: no DestinationRule applies to host '${host}'`,
        ),
      );
    } else if (!(rule.resource.spec.subsets ?? []).some(s => s.name === subset)) {
      const known = (rule.resource.spec.subsets ?? []).map(s => s.name);
      issues.push(
        issueAt(
          router,
          'error',
          [...path, 'subset'],
          'destination-subset-unknown',
          `subset '${subset}' is not defined by ${describeObject(rule)} (subsets: ${known.join(', ') || 'none'})`,
        ),
      );
    }
  }
  return issues;
}

/**
 * Whether proxies of some namespace see two MetaRouters with the same rank (private to it, exported to
 * it by name, exported to everyone), so that only config order decides between them. An absent
 * `exportTo` is read with Istio's default (everyone), as the mesh options are not known here.
 */
function routersCompete(a: ConfigObject<MetaRouter>, b: ConfigObject<MetaRouter>): boolean {
  const exportsOf = (router: ConfigObject<MetaRouter>): Exports =>
    resolveExports(
      router.resource.spec.exportTo,
      router.namespace,
      DEFAULT_MESH_OPTIONS.defaultMetaRouterExportTo,
    );
  const x = exportsOf(a);
  const y = exportsOf(b);
  if (x.everyone && y.everyone) return true;
  for (const namespace of new Set([...x.namespaces, ...y.namespaces])) {
    const rank = exportRank(x, a.namespace, namespace);
    if (rank !== undefined && rank === exportRank(y, b.namespace, namespace)) return true;
  }
  return false;
}
