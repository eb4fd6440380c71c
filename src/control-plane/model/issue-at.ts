/**
 * Places an issue about a validated object at the line of the field it concerns.
 */
import {
  formatFieldPath,
  type ConfigIssue,
  type FieldPath,
  type KnownResource,
  type Severity,
} from '../../api/index.js';
import type { DocumentOrigin } from '../sources/config-source.js';
import type { ConfigObject } from './config-set.js';

/** A {@link ConfigIssue} for `path` in the document at `origin`. */
export function issueInDocument(
  origin: DocumentOrigin,
  kind: string,
  name: string,
  issue: { severity: Severity; path: FieldPath; rule: string; message: string },
): ConfigIssue {
  const where = origin.locate(issue.path);
  return {
    severity: issue.severity,
    file: origin.file,
    line: where.line,
    column: where.column,
    documentIndex: origin.documentIndex,
    kind,
    name,
    field: formatFieldPath(issue.path),
    rule: issue.rule,
    message: issue.message,
  };
}

/** A {@link ConfigIssue} for `path` in a validated object. */
export function issueAt(
  object: ConfigObject<KnownResource>,
  severity: Severity,
  path: FieldPath,
  rule: string,
  message: string,
): ConfigIssue {
  return issueInDocument(object.origin, object.resource.kind, object.key, { severity, path, rule, message });
}

/** `ns/name (file:line)` for messages that point at another object. */
export function describeObject(object: ConfigObject<KnownResource>): string {
  const where = object.origin.locate([]);
  return `${object.resource.kind} ${object.key} (${object.origin.file}:${where.line})`;
}
