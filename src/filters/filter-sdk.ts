/**
 * The filter SDK, `aeraki/filter`: what a plugin implements to add a filter to the request path, and
 * how it registers it. Versioned with the codec SDK (one {@link SDK_VERSION}).
 *
 * A filter factory has a name, a config schema (any Standard Schema v1 validator; `z`, zod itself, is
 * re-exported here so that a plugin needs no copy of it and shares aeraki's instance) and `create`,
 * which makes the filter one listener runs. Users configure it in a MetaRouter's `spec.filters`;
 * the config reaches proxies inside `meta_protocol_filters` as an `xds.type.v3.TypedStruct`.
 */
import type { CodecPlugin } from '../codec/index.js';
import type { FilterPlugin } from './filter-factory.js';

export type {
  DecoderFilter,
  EncoderFilter,
  Filter,
  FilterBase,
  FilterStatus,
  RequestContext,
} from './filter.js';
export { isDecoderFilter, isEncoderFilter } from './filter.js';
export { FILTER_NAME_PREFIX, defineFilter, filterName } from './filter-factory.js';
export type { FilterContext, FilterFactory, FilterLogger, FilterPlugin } from './filter-factory.js';
export type { ConfigSchema, ConfigSchemaIssue, ConfigSchemaResult } from './config-schema.js';
export { SDK_VERSION } from '../codec/version.js';
export { Metadata } from '../codec/index.js';
export type { CodecPlugin, LocalReplyKind, Message, Mutation } from '../codec/index.js';
export { z } from 'zod';

/** A plugin module's default export: codecs, filters, or both. */
export type Plugin = CodecPlugin & FilterPlugin;
