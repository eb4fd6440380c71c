/**
 * Codecs the proxies may lack: a warning at the `spec.codec` of each ApplicationProtocol whose codec
 * is not among the codec names the caller knows the proxies have. The set is an input, not a list
 * kept here: the control plane and `aeraki validate` pass the codecs built into this aeraki (and,
 * with plugins, theirs).
 */
import {
  compareIssues,
  unknownCodecIssue,
  type ApplicationProtocolSpec,
  type ConfigIssue,
  type FieldIssue,
} from '../../api/index.js';
import type { ConfigSet, LoadedConfig } from './config-set.js';
import { issueAt } from './issue-at.js';

/**
 * A check of an ApplicationProtocol's codec settings that only the data plane's codecs can make
 * (such as compiling a declarative codec's description); an input, like the known codec names.
 */
export type ApplicationProtocolCheck = (spec: ApplicationProtocolSpec) => FieldIssue[];

/**
 * One warning per ApplicationProtocol whose codec is not in `knownCodecs` (when given), and the
 * issues `check` finds.
 */
export function unknownCodecIssues(
  config: ConfigSet,
  knownCodecs: Iterable<string> | undefined,
  check?: ApplicationProtocolCheck,
): ConfigIssue[] {
  const known = knownCodecs === undefined ? undefined : new Set(knownCodecs);
  const issues: ConfigIssue[] = [];
  for (const object of config.applicationProtocols) {
    const spec = object.resource.spec;
    const found = [
      ...(known === undefined ? [] : [unknownCodecIssue(spec, known)]),
      ...(check === undefined ? [] : check(spec)),
    ];
    for (const issue of found) {
      if (issue !== undefined)
        issues.push(issueAt(object, issue.severity, issue.path, issue.rule, issue.message));
    }
  }
  return issues;
}

/**
 * `loaded` with those issues among its issues (in file order); unchanged without `knownCodecs` and
 * `check`.
 */
export function withCodecIssues(
  loaded: LoadedConfig,
  knownCodecs: Iterable<string> | undefined,
  check?: ApplicationProtocolCheck,
): LoadedConfig {
  if (knownCodecs === undefined && check === undefined) return loaded;
  const extra = unknownCodecIssues(loaded.config, knownCodecs, check);
  if (extra.length === 0) return loaded;
  return { ...loaded, issues: [...loaded.issues, ...extra].sort(compareIssues) };
}
