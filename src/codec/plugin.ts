import type { CodecFactory } from './codec.js';

/**
 * What a plugin module's default export looks like, for its codecs. A module passed to
 * `aeraki up|proxy|validate --plugin MODULE` exports one object:
 *
 * ```ts
 * import type { CodecPlugin } from 'aeraki/codec';
 * export default { sdkVersion: '^1.0.0', codecs: [myCodecFactory] } satisfies CodecPlugin;
 * ```
 *
 * Filters come from the same object (`filters`, see `FilterPlugin` in `aeraki/filter`).
 */
export interface CodecPlugin {
  /**
   * The SDK versions the plugin was written for: a semver range (`^1.0.0`, `>=1.2 <3`) or a version
   * (`1.2.0`, read as `^1.2.0`: that version or any later compatible one). Absent: not checked.
   */
  readonly sdkVersion?: string;
  /** Codecs to register, each under its own name (`aeraki.meta_protocol.codec.<protocol>`). */
  readonly codecs?: readonly CodecFactory[];
}
