/**
 * The declarative codec: a binary protocol described in YAML (description.ts; docs/declarative-codec.md)
 * instead of written in code. Two ways in:
 *
 * - as a plugin, `--plugin memcached.yaml`: the description is compiled when aeraki starts and
 *   registered as `aeraki.meta_protocol.codec.<name>` ({@link codecFactoryFromDescription});
 * - from an ApplicationProtocol: `codec: aeraki.meta_protocol.codec.declarative` with the
 *   description in its `declarativeCodec` field; it reaches the proxy as the listener's codec config
 *   and is compiled once per distinct description ({@link declarativeCodecFactory}).
 */
import { CODEC_NAME_PREFIX } from '../../codec/registry.js';
import { AerakiError, ErrorCodes } from '../../errors.js';
import type { CodecFactory } from '../../codec/codec.js';
import { compileDescription, type CompiledProtocol } from './compile.js';
import { DeclarativeCodec } from './declarative-codec.js';
import { DECLARATIVE_CODEC_CAPABILITIES, DECLARATIVE_CODEC_NAME } from './declarative-codec-name.js';

export { compileDescription, DescriptionError, DEFAULT_MAX_FRAME } from './compile.js';
export type { CompiledProtocol } from './compile.js';
export type { CodecDescription } from './description.js';
export { DeclarativeCodec } from './declarative-codec.js';

export { DECLARATIVE_CODEC_NAME } from './declarative-codec-name.js';

/** A codec registered under the description's own name, compiled now (throws DescriptionError). */
export function codecFactoryFromDescription(description: unknown): CodecFactory {
  const compiled = compileDescription(description);
  if (compiled.name === undefined) {
    throw new AerakiError(ErrorCodes.CONFIG_INVALID, 'name: a description loaded as a plugin needs a name');
  }
  return {
    name: `${CODEC_NAME_PREFIX}${compiled.name}`,
    capabilities: compiled.capabilities,
    create: () => new DeclarativeCodec(compiled),
  };
}

/** Compiled descriptions by config object (each listener's codec config is one object). */
const byObject = new WeakMap<object, CompiledProtocol>();
/** And by content, so that a new snapshot carrying the same description does not compile it again. */
const byText = new Map<string, CompiledProtocol>();
const MAX_BY_TEXT = 64;

function compiledFor(config: unknown): CompiledProtocol {
  if (config === undefined || config === null || typeof config !== 'object') {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `${DECLARATIVE_CODEC_NAME} needs a codec description as its codec config (ApplicationProtocol declarativeCodec)`,
    );
  }
  let compiled = byObject.get(config);
  if (compiled !== undefined) return compiled;
  const text = JSON.stringify(config);
  compiled = byText.get(text);
  if (compiled === undefined) {
    compiled = compileDescription(config);
    if (byText.size >= MAX_BY_TEXT) byText.clear();
    byText.set(text, compiled);
  }
  byObject.set(config, compiled);
  return compiled;
}

/**
 * `aeraki.meta_protocol.codec.declarative`: its codec config is a description. Its capabilities are
 * those every description may have ({@link DECLARATIVE_CODEC_CAPABILITIES}).
 */
export const declarativeCodecFactory: CodecFactory = {
  name: DECLARATIVE_CODEC_NAME,
  capabilities: DECLARATIVE_CODEC_CAPABILITIES,
  create: (_side, config) => new DeclarativeCodec(compiledFor(config)),
};
