/**
 * Calls to Envoy's rate-limit service, `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`
 * (unary gRPC; messages from the Envoy protos bundled with `@grpc/grpc-js-xds`):
 *
 * ```
 * RateLimitRequest  { domain = 1, descriptors = 2: [ RateLimitDescriptor { entries = 1: [ {key = 1, value = 2} ] } ] }
 * RateLimitResponse { overall_code = 1: UNKNOWN 0 | OK 1 | OVER_LIMIT 2, … }
 * ```
 *
 * One long-lived channel per rate-limit cluster (the original opens a channel per request and blocks
 * on it). The channel's target is the cluster's endpoints as the proxy's cluster manager knows them;
 * it is replaced only when those endpoints change, and connects as soon as a filter needs it so that
 * the first request does not pay for the connection.
 */
import type * as Grpc from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { Host } from '../../upstream/host.js';
import { protoType } from '../../xds/proto-root.js';

export const SHOULD_RATE_LIMIT_PATH = '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit';

const require = createRequire(import.meta.url);
let grpc: typeof Grpc | undefined;

/**
 * gRPC, loaded when a channel is first made: a proxy worker whose listeners ask no rate-limit
 * service never holds it (a proxy's xDS client loads it anyway). With `require`, because channels
 * are made inside synchronous calls (prepare, shouldRateLimit).
 */
function grpcJs(): typeof Grpc {
  return (grpc ??= require('@grpc/grpc-js') as typeof Grpc);
}

/** `RateLimitRequest`, as protobufjs encodes it from a plain object. */
export interface RateLimitRequestMessage {
  readonly domain: string;
  readonly descriptors: readonly {
    readonly entries: readonly { readonly key: string; readonly value: string }[];
  }[];
}

/** `RateLimitResponse.Code`. */
export const RateLimitCode = { UNKNOWN: 0, OK: 1, OVER_LIMIT: 2 } as const;

/** What a call ends with: the service's overall code, or why there is none. */
export type RateLimitResultHandler = (failure: string | undefined, overallCode: number) => void;

/** Something that answers ShouldRateLimit for a cluster; the filter depends only on this. */
export interface RateLimitService {
  /** Gets the channel of `cluster` connecting, so the first call does not wait for it. */
  prepare(cluster: string): void;
  /** Asks the service of `cluster`; `done` is called exactly once, never synchronously. */
  shouldRateLimit(
    cluster: string,
    request: RateLimitRequestMessage,
    timeoutMs: number,
    done: RateLimitResultHandler,
  ): void;
}

interface Channel {
  /** The host list the target was last checked against. */
  hosts: readonly Host[];
  readonly target: string;
  readonly client: Grpc.Client;
}

let codec: { serialize(r: RateLimitRequestMessage): Buffer; deserialize(b: Buffer): number } | undefined;

function messageCodec(): NonNullable<typeof codec> {
  if (codec !== undefined) return codec;
  const requestType = protoType('envoy.service.ratelimit.v3.RateLimitRequest');
  const responseType = protoType('envoy.service.ratelimit.v3.RateLimitResponse');
  codec = {
    serialize(request) {
      const bytes = requestType.encode(request as unknown as Record<string, unknown>).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize(bytes) {
      const response = responseType.decode(bytes) as unknown as { overall_code?: number };
      return response.overall_code ?? RateLimitCode.UNKNOWN;
    },
  };
  return codec;
}

/** A gRPC target naming every endpoint (`ipv4:a:p,b:p`), or the first one when they are not all IPs. */
function targetOf(hosts: readonly Host[]): string {
  if (hosts.every(h => isIPv4(h.address)))
    return `ipv4:${hosts.map(h => `${h.address}:${h.port}`).join(',')}`;
  if (hosts.every(h => isIPv6(h.address))) {
    return `ipv6:${hosts.map(h => `[${h.address}]:${h.port}`).join(',')}`;
  }
  const first = hosts[0]!;
  return `dns:${first.address}:${first.port}`;
}

/** Rate-limit service clients over the proxy's clusters: one channel per cluster in use. */
export class RateLimitServiceChannels implements RateLimitService {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly clusters: ClusterManager) {}

  prepare(cluster: string): void {
    const channel = this.channelFor(cluster);
    if (typeof channel !== 'string') channel.client.getChannel().getConnectivityState(true);
  }

  shouldRateLimit(
    cluster: string,
    request: RateLimitRequestMessage,
    timeoutMs: number,
    done: RateLimitResultHandler,
  ): void {
    const channel = this.channelFor(cluster);
    if (typeof channel === 'string') {
      process.nextTick(done, channel, RateLimitCode.UNKNOWN);
      return;
    }
    const { serialize, deserialize } = messageCodec();
    channel.client.makeUnaryRequest(
      SHOULD_RATE_LIMIT_PATH,
      serialize,
      deserialize,
      request,
      { deadline: Date.now() + timeoutMs },
      (err: Grpc.ServiceError | null, code?: number) => {
        if (err !== null) done(err.details || err.message, RateLimitCode.UNKNOWN);
        else done(undefined, code ?? RateLimitCode.UNKNOWN);
      },
    );
  }

  /** Closes the channels of clusters not in `inUse`. */
  retain(inUse: ReadonlySet<string>): void {
    for (const [name, channel] of this.channels) {
      if (inUse.has(name)) continue;
      channel.client.close();
      this.channels.delete(name);
    }
  }

  /** Closes every channel. */
  close(): void {
    this.retain(new Set());
  }

  /** The channel to `cluster`'s current endpoints, or why there is none. */
  private channelFor(name: string): Channel | string {
    const cluster = this.clusters.get(name);
    const existing = this.channels.get(name);
    if (cluster === undefined || cluster.hosts.length === 0) {
      if (existing !== undefined) {
        existing.client.close();
        this.channels.delete(name);
      }
      return cluster === undefined ? `cluster '${name}' is unknown` : `cluster '${name}' has no endpoints`;
    }
    // A cluster gets a new host list on every config update, so the identity check is the cheap
    // per-request test, and the target comparison keeps the channel across updates that change nothing.
    if (existing !== undefined && existing.hosts === cluster.hosts) return existing;
    const target = targetOf(cluster.hosts);
    if (existing !== undefined && existing.target === target) {
      existing.hosts = cluster.hosts;
      return existing;
    }
    existing?.client.close();
    const channel = {
      hosts: cluster.hosts,
      target,
      client: new (grpcJs().Client)(target, grpcJs().credentials.createInsecure()),
    };
    this.channels.set(name, channel);
    return channel;
  }
}
