/**
 * A STAND-IN for Envoy's reference rate-limit service (github.com/envoyproxy/ratelimit, Go + Redis),
 * which cannot run on this machine. It is a real gRPC server (@grpc/grpc-js) speaking the same API,
 * `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`, with the reference service's
 * semantics for what the tests use:
 *
 * - a config of one domain and descriptors `{key, value?, rateLimit: {unit, requestsPerUnit}}`, as in
 *   the reference service's YAML (`domain: production`, `key: method`, `value: sayHello`,
 *   `rate_limit: {unit: hour, requests_per_unit: 5}`); a descriptor without `value` limits each value
 *   separately;
 * - fixed-window counting: a counter per (domain, descriptor entries, window), the window being the
 *   current unit aligned to the epoch, as the reference service keys its Redis counters; every hit
 *   counts, and a hit beyond `requestsPerUnit` is OVER_LIMIT;
 * - a request descriptor that no config descriptor matches is not limited (OK); the overall code is
 *   OVER_LIMIT when any descriptor is, and a request for another domain is OK throughout.
 *
 * Only single-entry descriptors are matched (what the MetaProtocol filter sends). For tests it also
 * records each request and can delay its answers.
 */
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { protoType } from '../../../src/xds/proto-root.js';

export type RateLimitUnit = 'second' | 'minute' | 'hour' | 'day';

export interface RateLimitServiceDescriptor {
  readonly key: string;
  /** Absent: every value of `key` has its own counter. */
  readonly value?: string;
  readonly rateLimit: { readonly unit: RateLimitUnit; readonly requestsPerUnit: number };
}

export interface RateLimitServiceConfig {
  readonly domain: string;
  readonly descriptors: readonly RateLimitServiceDescriptor[];
}

/** A request as the service received it. */
export interface RecordedRateLimitRequest {
  readonly domain: string;
  readonly descriptors: ReadonlyArray<ReadonlyArray<{ readonly key: string; readonly value: string }>>;
}

const UNIT_MS: Readonly<Record<RateLimitUnit, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** `RateLimitResponse.RateLimit.Unit` numbers. */
const UNIT_CODE: Readonly<Record<RateLimitUnit, number>> = { second: 1, minute: 2, hour: 3, day: 4 };

const OK = 1;
const OVER_LIMIT = 2;

interface DecodedRequest {
  domain?: string;
  descriptors?: Array<{ entries?: Array<{ key?: string; value?: string }> }>;
}

export class RateLimitServiceStandIn {
  /** Every request received, in order. */
  readonly requests: RecordedRateLimitRequest[] = [];
  /** Delay before each answer, e.g. to exceed a caller's deadline. */
  delayMs = 0;
  private readonly counters = new Map<string, number>();

  /** @internal */
  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    private config: RateLimitServiceConfig,
  ) {}

  /** Replaces the config and forgets every counter. */
  reset(config: RateLimitServiceConfig = this.config): void {
    this.config = config;
    this.counters.clear();
    this.requests.length = 0;
  }

  /** Stops at once, failing calls in flight. */
  stop(): Promise<void> {
    this.server.forceShutdown();
    return Promise.resolve();
  }

  /** @internal The answer to one request at time `now`. */
  answer(request: DecodedRequest, now: number): Record<string, unknown> {
    const domain = request.domain ?? '';
    const descriptors = (request.descriptors ?? []).map(d =>
      (d.entries ?? []).map(e => ({ key: e.key ?? '', value: e.value ?? '' })),
    );
    this.requests.push({ domain, descriptors });
    const statuses = descriptors.map(entries => this.hit(domain, entries, now));
    return {
      overall_code: statuses.some(s => s['code'] === OVER_LIMIT) ? OVER_LIMIT : OK,
      statuses,
    };
  }

  private hit(
    domain: string,
    entries: ReadonlyArray<{ key: string; value: string }>,
    now: number,
  ): Record<string, unknown> {
    const entry = entries[0];
    const rule =
      domain !== this.config.domain || entries.length !== 1 || entry === undefined
        ? undefined
        : (this.config.descriptors.find(d => d.key === entry.key && d.value === entry.value) ??
          this.config.descriptors.find(d => d.key === entry.key && d.value === undefined));
    if (rule === undefined || entry === undefined) return { code: OK };
    const unitMs = UNIT_MS[rule.rateLimit.unit];
    const key = `${domain}|${entry.key}=${entry.value}|${Math.floor(now / unitMs)}`;
    const count = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, count);
    const limit = rule.rateLimit.requestsPerUnit;
    return {
      code: count > limit ? OVER_LIMIT : OK,
      current_limit: { requests_per_unit: limit, unit: UNIT_CODE[rule.rateLimit.unit] },
      limit_remaining: Math.max(0, limit - count),
    };
  }
}

/** Starts the stand-in on `host` (a free port unless `port` is given). */
export async function startRateLimitService(
  config: RateLimitServiceConfig,
  host = '127.0.0.1',
  port = 0,
): Promise<RateLimitServiceStandIn> {
  const requestType = protoType('envoy.service.ratelimit.v3.RateLimitRequest');
  const responseType = protoType('envoy.service.ratelimit.v3.RateLimitResponse');
  const server = new Server();
  const started: { service?: RateLimitServiceStandIn } = {};
  server.addService(
    {
      ShouldRateLimit: {
        path: '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit',
        requestStream: false,
        responseStream: false,
        requestDeserialize: (bytes: Buffer) => requestType.decode(bytes) as unknown as DecodedRequest,
        responseSerialize: (value: Record<string, unknown>) =>
          Buffer.from(responseType.encode(responseType.fromObject(value)).finish()),
        requestSerialize: () => Buffer.alloc(0),
        responseDeserialize: () => ({}),
      },
    },
    {
      ShouldRateLimit: (
        call: ServerUnaryCall<DecodedRequest, Record<string, unknown>>,
        callback: sendUnaryData<Record<string, unknown>>,
      ) => {
        const service = started.service!;
        const answer = service.answer(call.request, Date.now());
        if (service.delayMs > 0) setTimeout(callback, service.delayMs, null, answer);
        else callback(null, answer);
      },
    },
  );
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) =>
      err === null ? resolve(p) : reject(err),
    ),
  );
  started.service = new RateLimitServiceStandIn(server, host, bound, config);
  return started.service;
}
