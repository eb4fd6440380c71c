/**
 * The Thrift side of the quickstart: real Apache Thrift HelloService servers and clients (the e2e
 * harness's), binary protocol over framed transport, calling `sayHello`.
 */
import {
  connectHello,
  startHelloServer,
  versionTag,
  type HelloConnection,
  type ThriftStack,
} from '../../test/e2e/harness/index.js';
import type { Backend, DemoClient, ProtocolDriver } from './protocol-driver.js';

const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
/** Servers answer `Hello <name>, from thrift-sample-server-<version>`. */
const REPLY_TAG = /from thrift-sample-server-(\S+)$/;

class ThriftClient implements DemoClient {
  constructor(private readonly connection: HelloConnection) {}

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  async call(n: number): Promise<string> {
    const reply = await this.connection.client.sayHello(`quickstart-${n}`);
    return REPLY_TAG.exec(reply)?.[1] ?? 'unknown';
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

export const thriftDriver: ProtocolDriver = {
  protocol: 'thrift',
  title: 'Thrift',
  backendKind: `Apache Thrift server (${STACK.protocol} protocol, ${STACK.transport} transport)`,
  clientKind: 'Apache Thrift clients',
  callDescription: 'HelloService.sayHello',
  callAttributes: new Map([['method', 'sayHello']]),

  async startBackend(version: string, host: string, port: number): Promise<Backend> {
    const server = await startHelloServer({ tag: versionTag(version), stack: STACK, host, port });
    return {
      forgetRecordedCalls: () => {
        server.calls.length = 0;
      },
      close: () => server.close(),
    };
  },

  async connect(host: string, port: number): Promise<DemoClient> {
    return new ThriftClient(await connectHello(host, port, { stack: STACK }));
  },
};
