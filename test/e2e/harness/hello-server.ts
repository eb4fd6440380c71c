/**
 * A real Apache Thrift HelloService server for one wire stack, that says who it is and remembers what
 * it received: every reply that can carries its tag, every call is recorded with the THeader headers
 * it arrived with (mirror counting, mutation checks), and `slow` completions are recorded in order
 * (out-of-order replies).
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HELLO_SERVICE_NAME, helloService, newHelloError, type HelloHandler } from './hello-idl.js';
import { FrameSplitter, transportOverFrame, readTHeaderFrame } from './theader.js';
import { thrift, type TProcessor } from './thrift-lib.js';
import { plainStackClasses, stackLabel, type ThriftStack } from './thrift-stack.js';

/** One call as the server received it. */
export interface RecordedCall {
  readonly method: string;
  /** The first argument rendered as text (name, event, token, …), or '' for none. */
  readonly arg: string;
  /** THeader info headers of the request ({} for other transports). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface HelloServerOptions {
  /** Names this server in replies, e.g. "thrift-sample-server-v1". */
  readonly tag: string;
  readonly stack: ThriftStack;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Serve through TMultiplexedProtocol under the name "HelloService". */
  readonly multiplexed?: boolean;
  /** Response header every THeader reply carries (default `x-served-by: <tag>`). */
  readonly replyHeaders?: Readonly<Record<string, string>>;
}

/** A running server. */
export class HelloServer {
  readonly tag: string;
  readonly stack: ThriftStack;
  readonly calls: RecordedCall[] = [];
  /** Tokens of `slow` calls in the order their replies were sent. */
  readonly slowCompletions: string[] = [];
  /** While true, `sayHello` answers with its declared exception HelloError (an error reply). */
  failing = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private readonly processor: TProcessor;
  private readonly replyHeaders: Record<string, string>;
  /** THeader headers of the request being dispatched (the processor calls handlers synchronously). */
  private currentHeaders: Record<string, string> = {};

  /** @internal Use startHelloServer. */
  constructor(options: HelloServerOptions) {
    this.tag = options.tag;
    this.stack = options.stack;
    this.replyHeaders = { 'x-served-by': options.tag, ...options.replyHeaders };
    this.processor = new (helloService().Processor)(this.handler());
    if (options.multiplexed === true) {
      const multiplexer = new thrift.MultiplexedProcessor();
      multiplexer.registerProcessor(HELLO_SERVICE_NAME, this.processor);
      this.processor = multiplexer;
    }
    if (this.stack.transport === 'header') {
      this.server = net.createServer(socket => this.serveTHeader(socket));
    } else {
      // The library's own server: it owns framing and dispatch for these stacks.
      this.server = thrift.createMultiplexServer(this.processor, plainStackClasses(this.stack));
    }
    // Peers that reset connections make the library emit 'error' on the server.
    this.server.on('error', () => {});
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** @internal */
  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  get host(): string {
    return (this.server.address() as net.AddressInfo).address;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Connections currently open to this server. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Number of recorded calls, of one method or of all. */
  count(method?: string): number {
    return method === undefined ? this.calls.length : this.calls.filter(c => c.method === method).length;
  }

  /** Waits until `count(method)` reaches `n`; rejects after `timeoutMs`. */
  async waitForCalls(n: number, method?: string, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(method) < n) {
      if (Date.now() > deadline) {
        throw new Error(`${this.tag}: saw ${this.count(method)} ${method ?? 'calls'}, expected ${n}`);
      }
      await sleep(10);
    }
  }

  /** Forgets recorded calls. */
  reset(): void {
    this.calls.length = 0;
    this.slowCompletions.length = 0;
  }

  /** Stops listening and drops every open connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private handler(): HelloHandler {
    const record = (method: string, arg: string): void => {
      this.calls.push({ method, arg, headers: this.currentHeaders });
    };
    const tag = this.tag;
    const completions = this.slowCompletions;
    const headersOfThisCall = (): Record<string, string> => this.currentHeaders;
    const failing = (): boolean => this.failing;
    return {
      async sayHello(name) {
        record('sayHello', name);
        if (failing()) throw newHelloError(`${name} failed (from ${tag})`, 50);
        return `Hello ${name}, from ${tag}`;
      },
      async whoami() {
        record('whoami', '');
        return tag;
      },
      async add(a, b) {
        record('add', String(a));
        return a + b;
      },
      async echo(payload) {
        record('echo', String(payload.length));
        return payload;
      },
      async blob(size) {
        record('blob', String(size));
        return Buffer.alloc(size);
      },
      async slow(ms, token) {
        record('slow', token);
        await sleep(ms);
        completions.push(token);
        return `${token}@${tag}`;
      },
      async fail(message) {
        record('fail', message);
        throw newHelloError(`${message} (from ${tag})`, 42);
      },
      async headers() {
        const seen = headersOfThisCall();
        record('headers', '');
        return { ...seen };
      },
      async notify(event) {
        record('notify', event);
      },
    };
  }

  private serveTHeader(socket: net.Socket): void {
    const splitter = new FrameSplitter();
    socket.on('error', () => socket.destroy());
    socket.on('data', data => {
      try {
        for (const frame of splitter.push(data)) this.dispatchTHeaderFrame(frame, socket);
      } catch {
        socket.destroy();
      }
    });
  }

  private dispatchTHeaderFrame(frame: Buffer, socket: net.Socket): void {
    const transport = transportOverFrame(frame, reply => socket.write(reply));
    for (const [key, value] of Object.entries(this.replyHeaders)) transport.setWriteHeader(key, value);
    const protocol = new thrift.THeaderProtocol(transport);
    this.currentHeaders = readTHeaderFrame(frame).headers;
    try {
      // One transport carries the request and the reply: the library answers with THeader only when
      // the request came with one, and in the request's sub-protocol.
      this.processor.process(protocol, protocol);
    } finally {
      this.currentHeaders = {};
    }
  }
}

/** Starts a HelloService server; resolves once it listens. */
export async function startHelloServer(options: HelloServerOptions): Promise<HelloServer> {
  const server = new HelloServer(options);
  await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return server;
}
/** A server tagged as version v1 and one as v2 (see {@link versionTag}), started side by side. */
export async function startVersionedHelloServers(stack: ThriftStack): Promise<[HelloServer, HelloServer]> {
  return Promise.all([
    startHelloServer({ tag: versionTag('v1'), stack }),
    startHelloServer({ tag: versionTag('v2'), stack }),
  ]);
}

/** The conventional tag for a version, as Aeraki's samples name their servers. */
export function versionTag(version: string, stack?: ThriftStack): string {
  return stack === undefined
    ? `thrift-sample-server-${version}`
    : `thrift-sample-server-${version}-${stackLabel(stack)}`;
}
