/**
 * Config problems as users see them: which file, line, document, object and field, which rule, and why.
 */

export type Severity = 'error' | 'warning';

/** A path into a document, from its root: `['spec', 'routes', 0, 'route', 1, 'weight']`. */
export type FieldPath = readonly (string | number)[];

/**
 * A rule broken at a field of one document, before the document is placed in a file. Validators of a
 * single document produce these; the loader turns them into {@link ConfigIssue}s.
 */
export interface FieldIssue {
  readonly severity: Severity;
  readonly path: FieldPath;
  /** Short stable id of the rule, e.g. `weights-sum-100`. Never renamed, so scripts can rely on it. */
  readonly rule: string;
  readonly message: string;
}

/** One problem found in the config, located as precisely as the source allows. */
export interface ConfigIssue {
  readonly severity: Severity;
  /** The file as reached from the directory given by the user (`examples/thrift/router.yaml`). */
  readonly file: string;
  /** 1-based line of the offending field (of its closest existing parent when the field is missing). */
  readonly line: number;
  /** 1-based column of the same place. */
  readonly column: number;
  /** 0-based index of the document within its file; -1 when the issue is about the whole file. */
  readonly documentIndex: number;
  /** Kind of the object, e.g. `MetaRouter`; empty when unknown (syntax errors). */
  readonly kind: string;
  /** `namespace/name` of the object, or `name` for cluster-scoped kinds; empty when unknown. */
  readonly name: string;
  /** JSON path of the field, e.g. `spec.routes[0].route[1].weight`; empty for the whole document. */
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Renders a path as `spec.routes[0].match.attributes["x-b3.id"]`. */
export function formatFieldPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (identifier.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** Orders issues by file, line, column, then rule, so every report reads top to bottom. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
