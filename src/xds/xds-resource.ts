/**
 * One xDS resource as the snapshot cache and the ADS server handle it: generic over resource types
 * (anything with a type URL and a name), already encoded, so that a snapshot is encoded once and sent
 * to every proxy as is.
 */
export interface XdsResource {
  /** Type URL of the resource, e.g. `type.googleapis.com/envoy.config.cluster.v3.Cluster`. */
  readonly typeUrl: string;
  /** The resource's name (Listener.name, Cluster.name, ClusterLoadAssignment.cluster_name, …). */
  readonly name: string;
  /** The encoded message: the `value` of its `google.protobuf.Any`. */
  readonly value: Uint8Array;
  /**
   * Names of the clusters this resource sends traffic to (for routes and listeners). The ADS server
   * uses them to send clusters before the routes that name them and to keep a removed cluster until
   * no route the proxy runs names it. Left out, the cache works them out for Envoy RouteConfigurations.
   */
  readonly clusterRefs?: readonly string[];
}

/** A `google.protobuf.Any` as protobufjs objects spell it (snake_case). */
export interface AnyMessage {
  readonly type_url: string;
  readonly value: Uint8Array;
}
