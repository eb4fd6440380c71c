/**
 * ApplicationProtocol rules (Aeraki defines them but never runs them; here they are enforced).
 */
import { CODEC_NAME_PREFIX, type ApplicationProtocolSpec } from '../application-protocol.js';
import type { FieldIssue } from '../issue.js';

export function validateApplicationProtocol(spec: ApplicationProtocolSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (spec.protocol === '') {
    issues.push({
      severity: 'error',
      path: ['spec', 'protocol'],
      rule: 'protocol-empty',
      message: 'protocol must not be empty',
    });
  } else if (spec.protocol.includes('-')) {
    issues.push({
      severity: 'error',
      path: ['spec', 'protocol'],
      rule: 'protocol-name',
      message: `protocol '${spec.protocol}' cannot contain '-': port names are split on '-'`,
    });
  }
  if (spec.codec === '') {
    issues.push({
      severity: 'error',
      path: ['spec', 'codec'],
      rule: 'codec-empty',
      message: 'codec must not be empty',
    });
  } else if (!spec.codec.startsWith(CODEC_NAME_PREFIX) || spec.codec.length === CODEC_NAME_PREFIX.length) {
    issues.push({
      severity: 'error',
      path: ['spec', 'codec'],
      rule: 'codec-prefix',
      message: `codec '${spec.codec}' must look like '${CODEC_NAME_PREFIX}<name>'`,
    });
  }
  return issues;
}
