/**
 * Whole responses shared by the streams of one server: every stream sent the same body gets the same
 * bytes under the same nonce, so a push to a thousand proxies builds one response, not a thousand
 * copies of it. (A nonce only has to tell apart the responses of one stream and type; a stream that
 * would get a nonce it already has gets a fresh one.)
 */

/** A response shared by streams, and its body (everything but nonce and control plane). */
export interface SharedResponse {
  readonly nonce: string;
  readonly bytes: Buffer;
  readonly body: Buffer;
}

/** Appends a nonce and the control plane's identity to a body: the kind of response's last fields. */
export type FinishResponse = (body: Buffer, nonce: string, controlPlaneId: string) => Buffer;

export class SharedResponses {
  /** By what was sent: a whole set (its entries map) or the changes from one set to another. */
  private readonly bySet = new WeakMap<
    object,
    { readonly typeUrl: string; readonly version: string; readonly response: SharedResponse }
  >();

  constructor(
    private readonly controlPlaneId: string,
    private readonly nextNonce: () => string,
    private readonly finish: FinishResponse,
  ) {}

  /**
   * The response of `typeUrl` under `version` whose body `makeBody` builds, made on first use; `key` is
   * the object its resources come from (a set's entries map, or the Changes between two sets), shared
   * by the streams sent them.
   */
  get(typeUrl: string, version: string, key: object, makeBody: () => Buffer): SharedResponse {
    const cached = this.bySet.get(key);
    if (cached !== undefined && cached.typeUrl === typeUrl && cached.version === version)
      return cached.response;
    const body = makeBody();
    const nonce = this.nextNonce();
    // The body is the response's prefix: kept once, as part of the response.
    const bytes = this.finish(body, nonce, this.controlPlaneId);
    const response = { nonce, bytes, body: bytes.subarray(0, body.length) };
    this.bySet.set(key, { typeUrl, version, response });
    return response;
  }
}
