import type { ConfigIssue } from './issue.js';

const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

/**
 * One issue as a line a person reads and an editor can jump to:
 * `file:line:col: error: message (MetaRouter ns/name, field spec.routes[0].route, rule weights-sum-100)`.
 */
export function formatIssue(issue: ConfigIssue, color: boolean): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const severity = color
    ? `${issue.severity === 'error' ? RED : YELLOW}${issue.severity}${RESET}`
    : issue.severity;
  return `${where}: ${severity}: ${issue.message} ${color ? DIM : ''}(${issueContext(issue)})${color ? RESET : ''}`;
}

/**
 * An issue without its place in a file, for where there is no file (the admission webhook):
 * `message (MetaRouter ns/name, field spec.routes[0].route[1].weight, rule weights-sum-100)`.
 */
export function formatIssueMessage(issue: ConfigIssue): string {
  return `${issue.message} (${issueContext({ ...issue, documentIndex: -1 })})`;
}

function issueContext(issue: ConfigIssue): string {
  return [
    issue.kind !== '' ? `${issue.kind}${issue.name !== '' ? ` ${issue.name}` : ''}` : '',
    issue.documentIndex >= 0 ? `document ${issue.documentIndex + 1}` : '',
    issue.field !== '' ? `field ${issue.field}` : '',
    `rule ${issue.rule}`,
  ]
    .filter(s => s !== '')
    .join(', ');
}
