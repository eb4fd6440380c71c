/**
 * A bare delta ADS stream on a grpc-js client for tests: send DeltaDiscoveryRequests by hand, read
 * responses in order, and check that none arrives.
 */
import {
  deltaAdsMethodDefinition,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from '../../../../src/xds/index.js';
import { RawStream } from './raw-stream.js';

export class RawDeltaAdsClient extends RawStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  private first = true;

  constructor(
    port: number,
    readonly nodeId: string,
  ) {
    super(port, deltaAdsMethodDefinition, 'DeltaDiscoveryResponse');
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
}
