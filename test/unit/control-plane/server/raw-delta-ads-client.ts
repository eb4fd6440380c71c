/**
 * A bare delta ADS stream on a grpc-js client for tests: send DeltaDiscoveryRequests by hand, read
 * responses in order, and check that none arrives.
 */
import * as grpc from '@grpc/grpc-js';
import {
  deltaAdsMethodDefinition,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from '../../../../src/xds/index.js';

export class RawDeltaAdsClient {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  private readonly queue: DeltaDiscoveryResponse[] = [];
  private waiter: ((r: DeltaDiscoveryResponse) => void) | undefined;
  private first = true;

  constructor(
    port: number,
    readonly nodeId: string,
  ) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const method = deltaAdsMethodDefinition;
    this.call = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
    );
    this.call.on('data', (response: DeltaDiscoveryResponse) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter !== undefined) waiter(response);
      else this.queue.push(response);
    });
    this.call.on('error', () => undefined);
  }

  /** Sends a request; the node goes on the first one. */
  send(request: Partial<DeltaDiscoveryRequest> & { type_url: string }): void {
    const withNode = this.first;
    this.first = false;
    this.call.write({
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: '',
      ...(withNode ? { node: { id: this.nodeId } } : {}),
      ...request,
    });
  }

  ack(response: DeltaDiscoveryResponse): void {
    this.send({ type_url: response.type_url, response_nonce: response.nonce });
  }

  nack(response: DeltaDiscoveryResponse, message: string): void {
    this.send({
      type_url: response.type_url,
      response_nonce: response.nonce,
      error_detail: { code: 3, message },
    });
  }

  /** The next response, waiting up to `timeoutMs`. */
  next(timeoutMs = 2000): Promise<DeltaDiscoveryResponse> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no DeltaDiscoveryResponse within ${timeoutMs} ms`));
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
      throw new Error(`unexpected DeltaDiscoveryResponse ${r.type_url} version ${r.system_version_info}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('no DeltaDiscoveryResponse')) return;
      throw err;
    }
  }

  close(): void {
    this.call.end();
    this.call.cancel();
    this.client.close();
  }
}
