/**
 * Codecs the proxies may lack: a warning at the `spec.codec` of each ApplicationProtocol whose codec
 * is not among the codec names the caller knows the proxies have. The set is an input, not a list
 * kept here: the control plane and `aeraki validate` pass the codecs built into this aeraki (and,
 * with plugins, theirs).
 */
import { compareIssues, unknownCodecIssue, type ConfigIssue } from '../../api/index.js';
import type { ConfigSet, LoadedConfig } from './config-set.js';
import { issueAt } from './issue-at.js';

/** One warning per ApplicationProtocol whose codec is not in `knownCodecs`. */
export function unknownCodecIssues(config: ConfigSet, knownCodecs: Iterable<string>): ConfigIssue[] {
  const known = new Set(knownCodecs);
  const issues: ConfigIssue[] = [];
  for (const object of config.applicationProtocols) {
    const issue = unknownCodecIssue(object.resource.spec, known);
    if (issue !== undefined)
      issues.push(issueAt(object, issue.severity, issue.path, issue.rule, issue.message));
  }
  return issues;
}

/** `loaded` with those warnings among its issues (in file order); unchanged without `knownCodecs`. */
export function withCodecIssues(
  loaded: LoadedConfig,
  knownCodecs: Iterable<string> | undefined,
): LoadedConfig {
  if (knownCodecs === undefined) return loaded;
  const extra = unknownCodecIssues(loaded.config, knownCodecs);
  if (extra.length === 0) return loaded;
  return { ...loaded, issues: [...loaded.issues, ...extra].sort(compareIssues) };
}
