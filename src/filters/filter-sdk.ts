/**
 * The filter SDK, `aeraki/filter`: what a plugin implements to add a filter to the request path. It
 * is versioned with the codec SDK (one {@link SDK_VERSION}). The filter interfaces are stable; the
 * registration ({@link FilterFactory}) is provisional until plugin filters run (see its comment).
 */
import type { CodecPlugin } from '../codec/index.js';
import type { FilterPlugin } from './filter-factory.js';

export type { DecoderFilter, EncoderFilter, Filter, FilterStatus, RequestContext } from './filter.js';
export { isDecoderFilter, isEncoderFilter } from './filter.js';
export { FILTER_NAME_PREFIX } from './filter-factory.js';
export type { FilterFactory, FilterPlugin } from './filter-factory.js';
export { SDK_VERSION } from '../codec/version.js';
export type { CodecPlugin, LocalReplyKind, Message, Metadata, Mutation } from '../codec/index.js';

/** A plugin module's default export: codecs, filters, or both. */
export type Plugin = CodecPlugin & FilterPlugin;
