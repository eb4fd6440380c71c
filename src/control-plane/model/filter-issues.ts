/**
 * Filters the proxies may lack, and filter configs their schemas refuse: for each entry of a
 * MetaRouter's `spec.filters`, a warning when the filter is not among those the caller knows the
 * proxies have (the listeners of that service are then served only by proxies with a plugin that
 * registers it), and an error per problem the filter's config schema finds, at the field's path.
 * Which filters exist and what their schemas say is an input, as for codecs: the control plane and
 * `aeraki validate` pass the filter registry of this aeraki (with `--plugin`, the plugins' filters).
 */
import { compareIssues, type ConfigIssue, type FieldPath } from '../../api/index.js';
import type { ConfigSet, LoadedConfig } from './config-set.js';
import { issueAt } from './issue-at.js';

/** What the filters known here say about one configured filter. */
export type FilterCheckResult =
  | { readonly known: false; readonly knownNames: readonly string[] }
  | {
      readonly known: true;
      /** What its config schema found; empty when the config fits (or the filter takes none here). */
      readonly problems: readonly { readonly path: readonly (string | number)[]; readonly message: string }[];
    };

/** Checks the filter `name` with its config (`undefined` when the YAML gives none). */
export type FilterConfigCheck = (name: string, config: unknown) => FilterCheckResult;

/** The issues `check` finds in every MetaRouter's `spec.filters`. */
export function filterIssues(config: ConfigSet, check: FilterConfigCheck): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const router of config.metaRouters) {
    router.resource.spec.filters?.forEach((filter, i) => {
      const at: FieldPath = ['spec', 'filters', i];
      const result = check(filter.name, filter.config);
      if (!result.known) {
        const known = [...result.knownNames].sort().join(', ') || 'none';
        issues.push(
          issueAt(
            router,
            'warning',
            [...at, 'name'],
            'filter-unknown',
            `filter '${filter.name}' is not known here (known: ${known}); a proxy without a plugin that ` +
              `registers it rejects the listeners of '${router.resource.spec.hosts[0] ?? ''}' and serves everything else`,
          ),
        );
        return;
      }
      for (const problem of result.problems) {
        const suffix = problem.path.length === 0 ? '' : ` (at ${problem.path.join('.')})`;
        issues.push(
          issueAt(
            router,
            'error',
            [...at, 'config', ...problem.path],
            'filter-config',
            `config of filter '${filter.name}' rejected by its schema${suffix}: ${problem.message}`,
          ),
        );
      }
    });
  }
  return issues;
}

/** `loaded` with those issues among its issues (in file order); unchanged without `check`. */
export function withFilterIssues(loaded: LoadedConfig, check: FilterConfigCheck | undefined): LoadedConfig {
  if (check === undefined) return loaded;
  const extra = filterIssues(loaded.config, check);
  if (extra.length === 0) return loaded;
  return { ...loaded, issues: [...loaded.issues, ...extra].sort(compareIssues) };
}
