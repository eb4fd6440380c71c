/**
 * What each proxy has been sent and what it said back, per node and resource type: the ACK/NACK view
 * Aeraki never had. A NACK is kept with its error_detail and the version it rejected until a later
 * version is ACKed (and stays in `lastNack` after that, for the record).
 */

/** A rejected response. */
export interface NackRecord {
  /** Version of the response the proxy rejected. */
  readonly version: string;
  readonly nonce: string;
  /** The proxy's error_detail (google.rpc.Status). */
  readonly errorDetail: { readonly code: number; readonly message: string };
  /** ISO 8601 time the NACK arrived. */
  readonly at: string;
}

/** One resource type at one node. */
export interface TypeStatus {
  readonly typeUrl: string;
  /** `*` for a wildcard subscription, else the names asked for. */
  readonly subscribed: '*' | readonly string[];
  /** Version and nonce of the last response sent. */
  readonly sentVersion?: string;
  readonly sentNonce?: string;
  readonly responsesSent: number;
  /** Last version the proxy ACKed. */
  readonly ackedVersion?: string;
  /** `waiting`: asked, nothing sent yet; `sent`: awaiting the answer; then `acked` or `nacked`. */
  readonly state: 'waiting' | 'sent' | 'acked' | 'nacked';
  readonly lastNack?: NackRecord;
  readonly nackCount: number;
}

export interface NodeStatus {
  readonly nodeId: string;
  /** Open ADS streams of this node. */
  readonly streams: number;
  /** Its proven identity (SPIFFE ID) on the TLS port; absent on the plaintext port. */
  readonly identity?: string;
  /** The namespace it is scoped by, and what else decides what it sees. */
  readonly namespace?: string;
  /** The namespace its node names, when that is not the one it is scoped by (its identity's). */
  readonly claimedNamespace?: string;
  readonly workload?: string;
  /** The Sidecar whose egress scope applies (`namespace/name`). */
  readonly sidecar?: string;
  readonly types: readonly TypeStatus[];
}

/** What a node's scope is, as the status shows it. */
export interface NodeScope {
  readonly namespace?: string;
  readonly claimedNamespace?: string;
  readonly workload?: string;
  readonly sidecar?: string;
}

export interface XdsServerStatus {
  readonly nodes: readonly NodeStatus[];
}

type MutableTypeStatus = { -readonly [K in keyof TypeStatus]: TypeStatus[K] } & {
  /** Kept as given (copied only when status is read): proxies re-send long name lists on every ACK. */
  names: '*' | ReadonlySet<string>;
  /** When the last response was sent (ms since the epoch). */
  sentAt: number;
};

/** Told of every response sent and answered, for metrics. */
export interface XdsObserver {
  /** A response of `typeUrl` was sent to a proxy. */
  sent(typeUrl: string): void;
  /**
   * A proxy ACKed (`acked`) or NACKed the last response of `typeUrl` it was sent, `sentAt` ms since
   * the epoch; `latest` is false when a newer response is already on its way.
   */
  answered(typeUrl: string, acked: boolean, sentAt: number, latest: boolean): void;
}

interface NodeRecord {
  streams: number;
  identity?: string;
  scope?: NodeScope;
  readonly types: Map<string, MutableTypeStatus>;
}

/** Nodes with no open stream whose records are kept (the most recently disconnected). */
const KEPT_DISCONNECTED_NODES = 1000;

/** Records per node; a stream reports into its node's record. */
export class StatusRegistry {
  constructor(private readonly observer?: XdsObserver) {}

  private readonly nodes = new Map<string, NodeRecord>();
  /** Nodes without streams, oldest first. */
  private readonly disconnected = new Set<string>();

  private node(nodeId: string): NodeRecord {
    let record = this.nodes.get(nodeId);
    if (record === undefined) {
      record = { streams: 0, types: new Map() };
      this.nodes.set(nodeId, record);
    }
    return record;
  }

  private type(nodeId: string, typeUrl: string): MutableTypeStatus {
    const types = this.node(nodeId).types;
    let status = types.get(typeUrl);
    if (status === undefined) {
      status = {
        typeUrl,
        subscribed: [],
        names: new Set(),
        responsesSent: 0,
        sentAt: 0,
        state: 'waiting',
        nackCount: 0,
      };
      types.set(typeUrl, status);
    }
    return status;
  }

  /** A stream of `nodeId` opened; `identity`: the SPIFFE ID it proved (TLS port). */
  streamOpened(nodeId: string, identity?: string): void {
    const record = this.node(nodeId);
    record.streams++;
    if (identity !== undefined) record.identity = identity;
    this.disconnected.delete(nodeId);
  }

  /** What decides what `nodeId` sees. */
  describe(nodeId: string, scope: NodeScope): void {
    this.node(nodeId).scope = scope;
  }

  streamClosed(nodeId: string): void {
    const record = this.node(nodeId);
    record.streams--;
    if (record.streams > 0) return;
    this.disconnected.add(nodeId);
    if (this.disconnected.size > KEPT_DISCONNECTED_NODES) {
      const oldest = this.disconnected.values().next().value;
      if (oldest !== undefined) {
        this.disconnected.delete(oldest);
        this.nodes.delete(oldest);
      }
    }
  }

  subscribed(nodeId: string, typeUrl: string, names: '*' | ReadonlySet<string>): void {
    this.type(nodeId, typeUrl).names = names;
  }

  sent(nodeId: string, typeUrl: string, version: string, nonce: string): void {
    const status = this.type(nodeId, typeUrl);
    status.sentVersion = version;
    status.sentNonce = nonce;
    status.responsesSent++;
    status.state = 'sent';
    status.sentAt = Date.now();
    this.observer?.sent(typeUrl);
  }

  acked(nodeId: string, typeUrl: string, version: string, latest: boolean): void {
    const status = this.type(nodeId, typeUrl);
    status.ackedVersion = version;
    if (latest) status.state = 'acked';
    this.observer?.answered(typeUrl, true, status.sentAt, latest);
  }

  nacked(nodeId: string, typeUrl: string, nack: NackRecord, latest: boolean): void {
    const status = this.type(nodeId, typeUrl);
    status.lastNack = nack;
    status.nackCount++;
    if (latest) status.state = 'nacked';
    this.observer?.answered(typeUrl, false, status.sentAt, latest);
  }

  /** Nodes with at least one open stream. */
  connectedNodes(): number {
    let n = 0;
    for (const record of this.nodes.values()) if (record.streams > 0) n++;
    return n;
  }

  snapshot(): XdsServerStatus {
    const nodes = [...this.nodes]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([nodeId, record]) => ({
        nodeId,
        streams: record.streams,
        ...(record.identity === undefined ? {} : { identity: record.identity }),
        ...record.scope,
        types: [...record.types.values()]
          .sort((a, b) => (a.typeUrl < b.typeUrl ? -1 : 1))
          .map(
            ({ names, sentAt: _sentAt, ...t }) =>
              ({ ...t, subscribed: names === '*' ? '*' : [...names].sort() }) as TypeStatus,
          ),
      }));
    return { nodes };
  }
}
