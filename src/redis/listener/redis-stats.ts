/**
 * Envoy's redis_proxy statistics for one listener (`redis.<stat_prefix>.*`): downstream connections
 * and requests, the command splitter's refusals, and per command its count, outcome, injected faults
 * and latency (milliseconds, including delay faults). The request path only adds to numbers; the
 * admin API and the Prometheus exporter read them.
 */
import { DURATION_BUCKETS_MS, FixedHistogram } from '../../proxy/telemetry/histogram.js';

/** `redis.<stat_prefix>.command.<command>.*`. */
export class RedisCommandStats {
  total = 0;
  success = 0;
  /** Commands whose reply was an error, or partly one (a split command with a failed part). */
  error = 0;
  errorFault = 0;
  delayFault = 0;
  readonly latency = new FixedHistogram(DURATION_BUCKETS_MS);
}

/** `redis.<stat_prefix>.*` and `redis.<stat_prefix>.splitter.*`. */
export class RedisListenerStats {
  downstreamCxTotal = 0;
  downstreamCxActive = 0;
  downstreamCxProtocolError = 0;
  downstreamCxRxBytesTotal = 0;
  downstreamCxTxBytesTotal = 0;
  downstreamRqTotal = 0;
  downstreamRqActive = 0;
  /** Commands with a wrong number of arguments, or not an array of bulk strings. */
  splitterInvalidRequest = 0;
  /** Commands the proxy does not route. */
  splitterUnsupportedCommand = 0;
  /** Per command (lower-case name). */
  readonly commands = new Map<string, RedisCommandStats>();

  command(name: string): RedisCommandStats {
    let stats = this.commands.get(name);
    if (stats === undefined) this.commands.set(name, (stats = new RedisCommandStats()));
    return stats;
  }

  /** The counters as plain numbers, for the admin API (histograms as count and sum). */
  toJSON(): Record<string, unknown> {
    const commands: Record<string, unknown> = {};
    for (const [name, c] of [...this.commands].sort(([a], [b]) => (a < b ? -1 : 1))) {
      commands[name] = {
        total: c.total,
        success: c.success,
        error: c.error,
        errorFault: c.errorFault,
        delayFault: c.delayFault,
        latencyMsSum: c.latency.sum,
      };
    }
    return {
      downstreamCxTotal: this.downstreamCxTotal,
      downstreamCxActive: this.downstreamCxActive,
      downstreamCxProtocolError: this.downstreamCxProtocolError,
      downstreamCxRxBytesTotal: this.downstreamCxRxBytesTotal,
      downstreamCxTxBytesTotal: this.downstreamCxTxBytesTotal,
      downstreamRqTotal: this.downstreamRqTotal,
      downstreamRqActive: this.downstreamRqActive,
      splitter: {
        invalidRequest: this.splitterInvalidRequest,
        unsupportedCommand: this.splitterUnsupportedCommand,
      },
      commands,
    };
  }
}
