/**
 * The check of an ApplicationProtocol's declarative codec that the control plane and `aeraki
 * validate` run: its description compiles (the proxies compile the same one), and a description
 * without a request id that the proxy can rewrite is not multiplexed.
 */
import { DECLARATIVE_CODEC, type ApplicationProtocolSpec, type FieldIssue } from '../api/index.js';
import { compileDescription, DescriptionError, type CompiledProtocol } from '../codecs/declarative/index.js';

export function checkDeclarativeCodec(spec: ApplicationProtocolSpec): FieldIssue[] {
  const description = spec.declarativeCodec ?? spec.codecConfig;
  if (spec.codec !== DECLARATIVE_CODEC || description === undefined) return [];
  const field = spec.declarativeCodec === undefined ? 'codecConfig' : 'declarativeCodec';
  let compiled: CompiledProtocol;
  try {
    compiled = compileDescription(description);
  } catch (err) {
    if (!(err instanceof DescriptionError)) throw err;
    return [
      {
        severity: 'error',
        path: ['spec', field, ...err.path],
        rule: 'declarative-codec-invalid',
        message: err.problem,
      },
    ];
  }
  if (!compiled.capabilities.requestIds && spec.multiplexing !== false) {
    return [
      {
        severity: 'error',
        path: ['spec', 'multiplexing'],
        rule: 'declarative-codec-multiplexing',
        message:
          'the description has no request id of 4 bytes or more, so replies cannot be matched on shared ' +
          'upstream connections: set multiplexing: false',
      },
    ];
  }
  return [];
}
