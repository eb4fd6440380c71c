/**
 * A bare ADS stream on a grpc-js client for tests: send DiscoveryRequests by hand, read responses in
 * order, and check that none arrives.
 */
import {
  adsMethodDefinition,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../../../src/xds/index.js';
import { RawStream } from './raw-stream.js';

export class RawAdsClient extends RawStream<DiscoveryRequest, DiscoveryResponse> {
  private first = true;

  /** `path`: another service with the same messages (RouteDiscoveryService's StreamRoutes). */
  constructor(
    port: number,
    readonly nodeId: string,
    path = adsMethodDefinition.path,
  ) {
    super(port, { ...adsMethodDefinition, path }, 'DiscoveryResponse');
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
}
