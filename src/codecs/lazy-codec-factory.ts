/**
 * A built-in codec whose code is loaded only when a config names it: a proxy that runs no listener
 * with it never holds it (the declarative codec brings its description's schema, and zod with it).
 *
 * `CodecFactory.create` is synchronous, so the proxy loads such codecs before it builds the
 * listeners of a snapshot ({@link prepareCodecs}); `create` before that fails with a clear error.
 */
import type { Codec, CodecCapabilities, CodecFactory, CodecSide } from '../codec/codec.js';
import type { CodecRegistry } from '../codec/registry.js';
import { AerakiError, ErrorCodes } from '../errors.js';

export class LazyCodecFactory implements CodecFactory {
  private factory: CodecFactory | undefined;
  private loading: Promise<void> | undefined;
  private loadError: unknown;

  /**
   * @param load imports the codec's module and returns its factory, which must have this name and
   *   these capabilities (the registry and the listeners read them before it is loaded)
   */
  constructor(
    readonly name: string,
    readonly capabilities: CodecCapabilities,
    private readonly load: () => Promise<CodecFactory>,
  ) {}

  /** Whether the codec's module is loaded. */
  get loaded(): boolean {
    return this.factory !== undefined;
  }

  /** Loads the codec's module, once; never rejects (a failure is reported by `create`). */
  prepare(): Promise<void> {
    this.loading ??= this.load().then(
      factory => {
        this.factory = factory;
      },
      (err: unknown) => {
        this.loadError = err;
        // The next snapshot that names the codec tries again.
        this.loading = undefined;
      },
    );
    return this.loading;
  }

  create(side: CodecSide, config?: unknown): Codec {
    if (this.factory === undefined) {
      throw new AerakiError(
        ErrorCodes.CODEC_UNKNOWN,
        this.loadError === undefined
          ? `codec '${this.name}' is not loaded yet`
          : `codec '${this.name}' could not be loaded: ${messageOf(this.loadError)}`,
        { cause: this.loadError },
      );
    }
    return this.factory.create(side, config);
  }
}

/**
 * Loads the codecs of `registry` that `users` name and that are not loaded yet (names it does not
 * know are skipped); `undefined` when there are none, so that a caller need not wait.
 */
export function prepareCodecs(
  registry: CodecRegistry,
  users: Iterable<{ readonly codec: string }>,
): Promise<void> | undefined {
  let pending: Promise<void>[] | undefined;
  for (const { codec } of users) {
    const factory = registry.get(codec);
    if (factory instanceof LazyCodecFactory && !factory.loaded) (pending ??= []).push(factory.prepare());
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
