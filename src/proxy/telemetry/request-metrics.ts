/**
 * Istio's standard request metrics, aggregated on the request path without allocation: a finished
 * request finds its series through three map lookups (listener, cluster, endpoint; none when it went
 * where the request before it did) and an array slot per outcome, then adds to a counter and three
 * fixed-bucket histograms. Label objects are built once
 * per series; the exporter reads the series when scraped.
 *
 * Series with the same labels (one service behind several listener addresses) share one object, so
 * the exposition never repeats a label set.
 */
import type { ActiveRequest } from '../active-request.js';
import { DURATION_BUCKETS_MS, FixedHistogram, SIZE_BUCKETS_BYTES } from './histogram.js';
import {
  destinationLabels,
  hostOfCluster,
  responseFlags,
  sourceLabels,
  UNKNOWN_SOURCE,
  type SourceIdentity,
} from './istio-labels.js';

/** The counter and histograms of one label set. */
export class RequestSeries {
  requests = 0;
  readonly duration = new FixedHistogram(DURATION_BUCKETS_MS);
  readonly requestBytes = new FixedHistogram(SIZE_BUCKETS_BYTES);
  readonly responseBytes = new FixedHistogram(SIZE_BUCKETS_BYTES);

  constructor(readonly labels: Readonly<Record<string, string>>) {}
}

export interface RequestMetricsOptions {
  /** This proxy's identity, for the `source_*` labels. */
  readonly source?: SourceIdentity;
  /**
   * Add a `request_operation` label with the request's `method` attribute. Off by default: it
   * multiplies the series by the number of methods (Envoy's code owners warn of the cost).
   */
  readonly perMethod?: boolean;
}

/** Outcome slots: 0 the upstream replied OK, 1 it replied with an error, then one per local reply kind. */
type OutcomeSlots = (RequestSeries | undefined)[];

interface EndpointSlots {
  readonly outcomes: OutcomeSlots;
  /** With per-method labels: method → outcome slots. */
  readonly byMethod: Map<string, OutcomeSlots> | undefined;
}

const OK_SLOT = 0;
const ERROR_SLOT = 1;
/** Added to the slot of requests a fault delayed (their response_flags start with DI). */
const DELAYED_OFFSET = 100;
const localReplySlots = new Map<string, number>();

function localReplySlot(kind: string): number {
  let slot = localReplySlots.get(kind);
  if (slot === undefined) {
    slot = 2 + localReplySlots.size;
    localReplySlots.set(kind, slot);
  }
  return slot;
}

export class RequestMetrics {
  private readonly sourceLabels: Record<string, string>;
  private readonly perMethod: boolean;
  /** listener → cluster → endpoint (`address:port`, '' when none was chosen) → slots. */
  private readonly tree = new Map<string, Map<string, Map<string, EndpointSlots>>>();
  private readonly byLabels = new Map<string, RequestSeries>();
  /**
   * The endpoint found last, and its keys: requests in a row mostly go the same way, and three
   * string compares (the same string objects, as a rule) cost less than three map look-ups.
   */
  private lastListener = '';
  private lastCluster = '';
  private lastHost = '';
  private lastEndpoint: EndpointSlots | undefined = undefined;

  constructor(options: RequestMetricsOptions = {}) {
    this.sourceLabels = sourceLabels(options.source ?? UNKNOWN_SOURCE);
    this.perMethod = options.perMethod === true;
  }

  /** Every series, for the exporter. */
  series(): IterableIterator<RequestSeries> {
    return this.byLabels.values();
  }

  /** Counts one finished request (one-way requests and abandoned ones included). */
  record(request: ActiveRequest, now: number): void {
    const endpoint = this.endpointSlots(request);
    const kind = request.localReplyKind;
    let slot = request.faultAborted
      ? localReplySlot('fault-abort')
      : kind !== undefined
        ? localReplySlot(kind)
        : request.response !== undefined && request.response.status === 'error'
          ? ERROR_SLOT
          : OK_SLOT;
    if (request.faultDelayed) slot += DELAYED_OFFSET;
    let outcomes = endpoint.outcomes;
    if (endpoint.byMethod !== undefined) {
      const method = request.request.metadata.get('method') ?? '';
      let perMethod = endpoint.byMethod.get(method);
      if (perMethod === undefined) endpoint.byMethod.set(method, (perMethod = []));
      outcomes = perMethod;
    }
    const series = outcomes[slot] ?? (outcomes[slot] = this.newSeries(request, slot));
    series.requests++;
    series.duration.observe(now - request.startTime);
    series.requestBytes.observe(request.request.bytes.length);
    series.responseBytes.observe(request.responseBytes);
  }

  private endpointSlots(request: ActiveRequest): EndpointSlots {
    const listener = request.listenerName;
    const cluster = request.clusterName;
    const host = request.upstreamHost;
    if (
      this.lastEndpoint !== undefined &&
      listener === this.lastListener &&
      cluster === this.lastCluster &&
      host === this.lastHost
    ) {
      return this.lastEndpoint;
    }
    const endpoint = this.findEndpointSlots(request);
    this.lastListener = listener;
    this.lastCluster = cluster;
    this.lastHost = host;
    this.lastEndpoint = endpoint;
    return endpoint;
  }

  private findEndpointSlots(request: ActiveRequest): EndpointSlots {
    let clusters = this.tree.get(request.listenerName);
    if (clusters === undefined) this.tree.set(request.listenerName, (clusters = new Map()));
    let endpoints = clusters.get(request.clusterName);
    if (endpoints === undefined) clusters.set(request.clusterName, (endpoints = new Map()));
    let slots = endpoints.get(request.upstreamHost);
    if (slots === undefined) {
      slots = { outcomes: [], byMethod: this.perMethod ? new Map() : undefined };
      endpoints.set(request.upstreamHost, slots);
    }
    return slots;
  }

  /** Built once per label set: the only place that allocates labels. */
  private newSeries(request: ActiveRequest, slot: number): RequestSeries {
    const service = hostOfCluster(request.clusterName !== '' ? request.clusterName : request.statPrefix);
    const kind = request.localReplyKind;
    const labels: Record<string, string> = {
      reporter: 'source',
      ...this.sourceLabels,
      ...destinationLabels(service, request.upstreamLabels),
      request_protocol: request.protocol,
      // Aeraki's convention for MetaProtocol: 0 when the request succeeded, 1 when it failed.
      response_code: slot % DELAYED_OFFSET === OK_SLOT ? '0' : '1',
      response_flags: responseFlags(kind, request),
      connection_security_policy: 'unknown',
    };
    if (this.perMethod) labels['request_operation'] = request.request.metadata.get('method') ?? 'unknown';
    const key = JSON.stringify(labels);
    let series = this.byLabels.get(key);
    if (series === undefined) this.byLabels.set(key, (series = new RequestSeries(labels)));
    return series;
  }
}
