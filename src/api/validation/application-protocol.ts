/**
 * ApplicationProtocol rules (Aeraki defines them but never runs them; here they are enforced).
 */
import {
  CODEC_NAME_PREFIX,
  DECLARATIVE_CODEC,
  type ApplicationProtocolSpec,
} from '../application-protocol.js';
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
  if (spec.declarativeCodec !== undefined && spec.codecConfig !== undefined) {
    issues.push({
      severity: 'error',
      path: ['spec', 'declarativeCodec'],
      rule: 'declarative-codec-twice',
      message: 'give the description in declarativeCodec or in codecConfig, not both',
    });
  } else if (
    spec.codec === DECLARATIVE_CODEC &&
    spec.declarativeCodec === undefined &&
    spec.codecConfig === undefined
  ) {
    issues.push({
      severity: 'error',
      path: ['spec', 'declarativeCodec'],
      rule: 'declarative-codec-missing',
      message: `codec '${DECLARATIVE_CODEC}' needs the protocol's description in declarativeCodec`,
    });
  } else if (spec.codec !== DECLARATIVE_CODEC && spec.declarativeCodec !== undefined) {
    issues.push({
      severity: 'error',
      path: ['spec', 'declarativeCodec'],
      rule: 'declarative-codec-unused',
      message: `declarativeCodec is read only with codec '${DECLARATIVE_CODEC}', not '${spec.codec}'`,
    });
  }
  return issues;
}

/**
 * The warning for an ApplicationProtocol whose codec is not among `knownCodecs` (the codecs of the
 * proxies this config is for, as far as the caller knows: the built-in ones, and later those of
 * `--plugin` modules). A warning, not an error: a proxy that loads a plugin registering the codec
 * serves the protocol, and one that does not rejects only that protocol's listeners.
 */
export function unknownCodecIssue(
  spec: ApplicationProtocolSpec,
  knownCodecs: ReadonlySet<string>,
): FieldIssue | undefined {
  if (spec.codec === '' || knownCodecs.has(spec.codec)) return undefined;
  const known = [...knownCodecs].sort().join(', ') || 'none';
  return {
    severity: 'warning',
    path: ['spec', 'codec'],
    rule: 'codec-unknown',
    message:
      `codec '${spec.codec}' is not known here (known: ${known}); a proxy without a plugin that ` +
      `registers it rejects the listeners of protocol '${spec.protocol}' and serves everything else`,
  };
}
