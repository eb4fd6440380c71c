/**
 * Who receives a Redis server's reply to a command. Commands on a connection are answered in the
 * order they were sent, so a connection keeps a queue of (target, index) pairs and hands each reply
 * to the pair at its head: no request ids, no per-command closures.
 */
export interface ReplyTarget {
  /**
   * The reply to the command sent with `index`: bytes `[start, end)` of `buf`, which are never
   * written to again (a view may be kept).
   */
  onReply(buf: Buffer, start: number, end: number, index: number): void;
  /** The command sent with `index` got no reply; `message` is the error text for the client. */
  onFailure(message: string, index: number): void;
}

/** Swallows replies: for mirrored commands and the proxy's own ones (AUTH, HELLO, READONLY, ASKING). */
export const DISCARD: ReplyTarget = {
  onReply(): void {},
  onFailure(): void {},
};

/** Per-command stats of an upstream cluster (Envoy `upstream_commands.<command>.*`). */
export class UpstreamCommandStats {
  total = 0;
  success = 0;
  failure = 0;
  /** Sum of latencies in ms, for the mean. */
  latencyMsSum = 0;
}
