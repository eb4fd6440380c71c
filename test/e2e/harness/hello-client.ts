/**
 * Real Apache Thrift HelloService clients for every wire stack, over one TCP connection each.
 * Additions to the library's client: calls still pending when the connection closes are rejected
 * (the library would leave them pending forever), and THeader clients send and receive info headers.
 */
import { HELLO_SERVICE_NAME, helloService, type HelloClient } from './hello-idl.js';
import { readTHeaderFrame, theaderClientTransport } from './theader.js';
import { thrift, type ThriftConnection, type TTransportInstance } from './thrift-lib.js';
import { plainStackClasses, THEADER_PROTOCOL_ID, type ThriftStack } from './thrift-stack.js';

export interface HelloConnectOptions {
  readonly stack: ThriftStack;
  /** Speak TMultiplexedProtocol with service name "HelloService". */
  readonly multiplexed?: boolean;
  /** Give up connecting after this long (default 3000 ms). */
  readonly connectTimeoutMs?: number;
}

/** Raised for calls that were pending when their connection closed. */
export class ConnectionClosedError extends Error {
  constructor() {
    super('connection closed with the call pending');
    this.name = 'ConnectionClosedError';
  }
}

/** One client connection. */
export class HelloConnection {
  /** THeader info headers of replies, by seqid (THeader stacks only). */
  private readonly replyHeaders = new Map<number, Record<string, string>>();
  private closed = false;

  /** @internal */
  constructor(
    readonly stack: ThriftStack,
    readonly client: HelloClient,
    private readonly connection: ThriftConnection,
    private readonly transport: TTransportInstance,
  ) {
    connection.on('error', () => {});
    connection.on('close', () => this.onClose());
  }

  /** Whether the connection is closed (by either side). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Sets the THeader info headers sent with every following call (replacing earlier ones). */
  setRequestHeaders(headers: Readonly<Record<string, string>>): void {
    if (this.stack.transport !== 'header') throw new Error('info headers need the THeader transport');
    this.transport.clearWriteHeaders();
    for (const [key, value] of Object.entries(headers)) this.transport.setWriteHeader(key, value);
  }

  /**
   * Makes one call with `headers` and returns its result with the info headers of its reply.
   * `call` must issue exactly one call on this connection's client.
   */
  async callWithHeaders<T>(
    headers: Readonly<Record<string, string>>,
    call: (client: HelloClient) => Promise<T>,
  ): Promise<{ value: T; replyHeaders: Record<string, string> }> {
    this.setRequestHeaders(headers);
    const pending = call(this.client);
    const seqid = this.client.seqid();
    this.setRequestHeaders({});
    try {
      const value = await pending;
      return { value, replyHeaders: this.takeReplyHeaders(seqid) };
    } catch (err) {
      this.replyHeaders.delete(seqid);
      throw err;
    }
  }

  /** @internal */
  recordReply(frame: Buffer): void {
    const info = readTHeaderFrame(frame);
    this.replyHeaders.set(info.seqid, info.headers);
  }

  private takeReplyHeaders(seqid: number): Record<string, string> {
    const headers = this.replyHeaders.get(seqid);
    if (headers === undefined) throw new Error(`no THeader reply recorded for seqid ${seqid}`);
    this.replyHeaders.delete(seqid);
    return headers;
  }

  private onClose(): void {
    this.closed = true;
    // Generated-client internals: pending callbacks by seqid.
    const pending = (this.client as unknown as { _reqs: Record<string, (err: unknown) => void> })._reqs;
    for (const [seqid, callback] of Object.entries(pending)) {
      delete pending[seqid];
      callback(new ConnectionClosedError());
    }
  }

  /** Closes the connection and waits for it to be gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    const gone = new Promise<void>(resolve => this.connection.once('close', () => resolve()));
    this.connection.end();
    const timer = setTimeout(() => this.connection.destroy(), 1000);
    await gone;
    clearTimeout(timer);
  }
}

/** Connects a HelloService client to `host:port`; resolves once connected. */
export async function connectHello(
  host: string,
  port: number,
  options: HelloConnectOptions,
): Promise<HelloConnection> {
  const { stack } = options;
  // The transport class needs the connection object, which needs the transport: break the cycle.
  const holder: { hello?: HelloConnection } = {};
  const classes =
    stack.transport === 'header'
      ? {
          transport: theaderClientTransport(frame => holder.hello?.recordReply(frame)),
          protocol: thrift.THeaderProtocol,
        }
      : plainStackClasses(stack);
  const connection = thrift.createConnection(host, port, {
    ...classes,
    connect_timeout: options.connectTimeoutMs ?? 3000,
    max_attempts: 0,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, options.connectTimeoutMs ?? 3000);
    connection.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  let client: HelloClient;
  if (options.multiplexed === true) {
    client = new thrift.Multiplexer().createClient<HelloClient>(
      HELLO_SERVICE_NAME,
      helloService(),
      connection,
    );
  } else {
    client = thrift.createClient<HelloClient>(helloService(), connection);
  }
  const transport = (client as unknown as { output: TTransportInstance }).output;
  if (stack.transport === 'header') transport.setProtocolId(THEADER_PROTOCOL_ID[stack.protocol]);
  const hello = new HelloConnection(stack, client, connection, transport);
  holder.hello = hello;
  return hello;
}
