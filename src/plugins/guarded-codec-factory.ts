import { AerakiError, CodecError, ErrorCodes } from '../errors.js';
import type { Codec, CodecFactory, CodecSide } from '../codec/index.js';

/**
 * A plugin's codec factory as aeraki registers it: `create` may not throw into the listener that
 * accepts a connection (that would end the process). When the plugin's `create` fails, the
 * connection gets a codec that refuses every byte with a CodecError naming the plugin and the cause,
 * so only that connection is closed. A settings error (AERAKI_ERR_CONFIG_INVALID) still propagates:
 * refusing a listener's codec config is the proxy's business when it builds the listener.
 *
 * Only `create` is wrapped: it runs once per connection. Calls into the codec's own methods are not
 * (decode runs per message); the proxy already confines their failures to the connection.
 */
export function guardCodecFactory(factory: CodecFactory, origin: string): CodecFactory {
  return {
    name: factory.name,
    capabilities: factory.capabilities,
    create(side: CodecSide, config?: unknown): Codec {
      try {
        return factory.create(side, config);
      } catch (err) {
        if (err instanceof AerakiError && err.code === ErrorCodes.CONFIG_INVALID) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        return new FailedCodec(`codec '${factory.name}' of plugin ${origin} failed to start: ${reason}`, err);
      }
    },
  };
}

/** Stands in for a codec whose creation failed: nothing decodes, nothing is answered. */
class FailedCodec implements Codec {
  constructor(
    private readonly reason: string,
    private readonly cause: unknown,
  ) {}

  decode(): never {
    throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, this.reason, { cause: this.cause });
  }

  encode(): never {
    throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, this.reason, { cause: this.cause });
  }

  encodeLocalReply(): undefined {
    return undefined;
  }
}
