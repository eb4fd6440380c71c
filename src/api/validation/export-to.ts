/**
 * Istio `exportTo` rules: `.` (own namespace), `*` (everywhere), `~` (nobody; ServiceEntry only) or a
 * namespace name; no duplicates (`.` and the own namespace are the same); `*` and `~` stand alone.
 */
import type { FieldIssue, FieldPath } from '../issue.js';
import { isDns1123Label } from '../names.js';

export function validateExportTo(
  exportTo: readonly string[] | undefined,
  namespace: string,
  path: FieldPath,
  allowNone: boolean,
): FieldIssue[] {
  if (exportTo === undefined || exportTo.length === 0) return [];
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  exportTo.forEach((entry, i) => {
    const at = [...path, i];
    const key = entry === '.' ? namespace : entry;
    if (seen.has(key)) {
      issues.push({
        severity: 'error',
        path: at,
        rule: 'export-to-duplicate',
        message:
          key === entry
            ? `exportTo lists '${entry}' twice`
            : `exportTo lists both '.' and the own namespace '${namespace}'`,
      });
      return;
    }
    seen.add(key);
    const valid = entry === '.' || entry === '*' || (entry === '~' ? allowNone : isDns1123Label(entry));
    if (!valid) {
      issues.push({
        severity: 'error',
        path: at,
        rule: 'export-to-invalid',
        message:
          entry === '~'
            ? "exportTo '~' (nobody) is only allowed on ServiceEntries"
            : `exportTo entry '${entry}' must be '.', '*' or a namespace name`,
      });
    }
  });
  for (const alone of allowNone ? ['*', '~'] : ['*']) {
    if (exportTo.includes(alone) && exportTo.length > 1) {
      issues.push({
        severity: 'error',
        path: [...path, exportTo.indexOf(alone)],
        rule: 'export-to-exclusive',
        message: `exportTo '${alone}' cannot be combined with other entries`,
      });
    }
  }
  return issues;
}
