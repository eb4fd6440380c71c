/**
 * A bare ADS stream on a grpc-js client for tests: send DiscoveryRequests by hand, read responses in
 * order, and check that none arrives.
 */
import * as grpc from '@grpc/grpc-js';
import {
  ADS_METHOD_PATH,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../../../src/xds/index.js';

export class RawAdsClient {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  private readonly queue: DiscoveryResponse[] = [];
  private waiter: ((r: DiscoveryResponse) => void) | undefined;
  private first = true;
  /** Set when the server ends the stream with an error. */
  error: grpc.ServiceError | undefined;

  constructor(
    port: number,
    readonly nodeId: string,
  ) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      ADS_METHOD_PATH,
      encodeDiscoveryRequest,
      decodeDiscoveryResponse,
    );
    this.call.on('data', (response: DiscoveryResponse) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter !== undefined) waiter(response);
      else this.queue.push(response);
    });
    this.call.on('error', (err: grpc.ServiceError) => {
      this.error = err;
    });
  }

  /** Sends a request; the node goes on the first one unless `withNode` says otherwise. */
  send(request: Partial<DiscoveryRequest> & { type_url: string }, withNode = this.first): void {
    this.first = false;
    this.call.write({
      version_info: '',
      resource_names: [],
      response_nonce: '',
      ...(withNode ? { node: { id: this.nodeId } } : {}),
      ...request,
    });
  }

  /** ACKs a response (same names as given). */
  ack(response: DiscoveryResponse, names: readonly string[] = []): void {
    this.send({
      type_url: response.type_url,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: names,
    });
  }

  /** NACKs a response, keeping `previousVersion` as the accepted one. */
  nack(
    response: DiscoveryResponse,
    message: string,
    previousVersion = '',
    names: readonly string[] = [],
  ): void {
    this.send({
      type_url: response.type_url,
      version_info: previousVersion,
      response_nonce: response.nonce,
      resource_names: names,
      error_detail: { code: 3, message },
    });
  }

  /** The next response, waiting up to `timeoutMs`. */
  next(timeoutMs = 2000): Promise<DiscoveryResponse> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no DiscoveryResponse within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = r => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  /** Resolves if no response arrives within `ms`; rejects with the response otherwise. */
  async nothingWithin(ms: number): Promise<void> {
    try {
      const r = await this.next(ms);
      throw new Error(`unexpected DiscoveryResponse ${r.type_url} version ${r.version_info}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('no DiscoveryResponse')) return;
      throw err;
    }
  }

  close(): void {
    this.call.end();
    this.call.cancel();
    this.client.close();
  }
}
