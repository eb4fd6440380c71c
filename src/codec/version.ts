/**
 * The version of the codec SDK (`aeraki/codec`, and `aeraki/filter` beside it), in semver. It moves
 * with the SDK's public surface, not with aeraki's own version:
 *
 * - patch: fixes that change no documented behaviour;
 * - minor: additions only (a new export, a new optional method or field, a new message type that a
 *   codec never receives unless it produces it): a plugin written for 1.0 runs on every 1.x;
 * - major: anything that could break a plugin written for the previous major.
 *
 * A plugin states what it was written for in `sdkVersion` (see {@link CodecPlugin}); the loader
 * refuses it, naming both versions, when this version does not satisfy it.
 */
export const SDK_VERSION = '1.2.0';
