/**
 * The memcached plugin: `aeraki up DIR --plugin plugins/memcached` registers the codec
 * `aeraki.meta_protocol.codec.memcached` for the memcached binary protocol. It imports nothing but
 * the public codec SDK, `aeraki/codec`.
 *
 * Decoded requests carry the metadata `command` (the opcode's name: get, set, getq, …) and `key`
 * (when the command has one), so routes match on them (e.g. a key prefix); the opaque is the request
 * id, which lets many clients share a few upstream connections. QUIT, STAT, VERBOSITY and SASL
 * commands are answered by the proxy (see wire.ts); quiet commands are handled as memcached-codec.ts
 * explains. Local replies are responses with memcached's own statuses: 0x86 (temporary failure)
 * when no server could answer, 0x85 (busy) over a limit, 0x04 (invalid arguments) for a bad request,
 * 0x84 (internal error) otherwise, with the reason as the value.
 *
 * Codec config (optional): `{ maxPacketSize?: number }` (default 8 MiB).
 */
import { codecConfigFields, positiveIntegerSetting, type CodecFactory, type CodecPlugin } from 'aeraki/codec';
import { DEFAULT_MAX_PACKET_SIZE, MemcachedCodec } from './memcached-codec.js';

export const memcachedCodecFactory: CodecFactory = {
  name: 'aeraki.meta_protocol.codec.memcached',
  capabilities: { requestIds: true, heartbeats: true, streaming: false, serverSpeaksFirst: false },
  create(side, config) {
    const fields = codecConfigFields('memcached', config);
    const maxPacketSize = positiveIntegerSetting(
      'memcached',
      fields,
      'maxPacketSize',
      DEFAULT_MAX_PACKET_SIZE,
      2 ** 31,
    );
    return new MemcachedCodec(side, { maxPacketSize });
  },
};

const plugin: CodecPlugin = { sdkVersion: '^1.0.0', codecs: [memcachedCodecFactory] };
export default plugin;
