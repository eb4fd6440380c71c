/**
 * The codec SDK: what a protocol author implements to put a protocol under the mesh.
 * See `Codec` for the contract and `runCodecTestKit` for the conformance harness.
 */
export { ByteQueue } from './byte-queue.js';
export { RecentStrings } from './recent-strings.js';
export type {
  Codec,
  CodecCapabilities,
  CodecFactory,
  CodecSide,
  EncodeOptions,
  LocalReply,
  LocalReplyKind,
} from './codec.js';
export { MESSAGE_TYPES, Metadata, createMessage } from './message.js';
export { isNormalRequestId, normalizeRequestId } from './request-id.js';
export type { RequestId } from './request-id.js';
export { SDK_VERSION } from './version.js';
export type { CodecPlugin } from './plugin.js';
export type { DeferredAttributes, Message, MessageType, Mutation, ResponseStatus } from './message.js';
export { CODEC_NAME_PREFIX, CodecRegistry } from './registry.js';
export { booleanSetting, codecConfigFields, positiveIntegerSetting } from './codec-config.js';
export { CodecError, ErrorCodes, malformed } from '../errors.js';
export { CODEC_TEST_KIT_CHECKS, checkCodec, runCodecTestKit } from './test-kit.js';
export { loadCodecFixtureFile, loadCodecFixtures } from './fixture-files.js';
export type {
  CodecFixture,
  CodecTestKitCheck,
  CodecTestKitFailure,
  CodecTestKitOptions,
  CodecTestKitRunOptions,
  ExpectedMessage,
} from './test-kit.js';
