/**
 * What the quickstart needs to demo one protocol: start a backend for each version, connect clients
 * through the proxy, and make calls that say which version answered.
 */

/** A server or provider the quickstart started. */
export interface Backend {
  /**
   * Drops what the backend recorded so far: the test backends remember every call, which a demo
   * running for hours must not let grow without bound.
   */
  forgetRecordedCalls(): void;
  close(): Promise<void>;
}

/** One client connection to the proxy. */
export interface DemoClient {
  /** Makes call number `n`; resolves with the version that answered, rejects with the client's error. */
  call(n: number): Promise<string>;
  /** Whether the connection is gone for good (no further call can succeed). */
  readonly isClosed: boolean;
  close(): Promise<void>;
}

/** One protocol's backends and clients. */
export interface ProtocolDriver {
  /** The protocol name in ServiceEntry port names (`tcp-metaprotocol-<protocol>-…`). */
  readonly protocol: string;
  /** How the protocol is shown, e.g. `Thrift`. */
  readonly title: string;
  /** What each backend is, e.g. `Apache Thrift server (binary protocol, framed transport)`. */
  readonly backendKind: string;
  /** What the clients are, e.g. `Apache Thrift clients`. */
  readonly clientKind: string;
  /** The call the clients make, as shown to the user. */
  readonly callDescription: string;
  /** The request attributes the proxy's router sees for the clients' calls (to show which route applies). */
  readonly callAttributes: ReadonlyMap<string, string>;
  /** Starts the backend for `version` listening on `host:port`. */
  startBackend(version: string, host: string, port: number): Promise<Backend>;
  /** Connects one client to the proxy's listener at `host:port`. */
  connect(host: string, port: number): Promise<DemoClient>;
}
