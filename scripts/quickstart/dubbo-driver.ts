/**
 * The Dubbo side of the quickstart: the e2e suite's Dubbo2 providers on hessian.js (they answer
 * `sayHello` with their version) and the real dubbo2.js client, calling
 * `DemoService.sayHello` at service version 1.0.0.
 */
import { Dubbo2jsClient } from '../../test/e2e/dubbo/dubbo2js-client.js';
import { startProvider } from '../../test/e2e/dubbo/hessian-provider.js';
import type { Backend, DemoClient, ProtocolDriver } from './protocol-driver.js';

const SERVICE = 'org.apache.dubbo.samples.basic.api.DemoService';
const SERVICE_VERSION = '1.0.0';
/** dubbo2.js fails a call with no answer after this long. */
const INVOKE_TIMEOUT_SECONDS = 3;

class DubboClient implements DemoClient {
  private closed = false;

  constructor(private readonly client: Dubbo2jsClient) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async call(): Promise<string> {
    const { res, err } = await this.client.call(SERVICE, 'sayHello', [], { version: SERVICE_VERSION });
    if (err !== null) throw err;
    return typeof res === 'string' ? res : 'unknown';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

export const dubboDriver: ProtocolDriver = {
  protocol: 'dubbo',
  title: 'Dubbo',
  backendKind: 'Dubbo2 provider (Hessian2, written on hessian.js)',
  clientKind: 'dubbo2.js clients',
  callDescription: `DemoService.sayHello, service version ${SERVICE_VERSION}`,
  callAttributes: new Map([
    ['interface', SERVICE],
    ['path', SERVICE],
    ['method', 'sayHello'],
    ['version', SERVICE_VERSION],
    ['application', 'dubbo2.js'],
  ]),

  async startBackend(version: string, host: string, port: number): Promise<Backend> {
    // The provider answers sayHello with its tag: the version.
    const provider = await startProvider({ tag: version, host, port });
    return {
      forgetRecordedCalls: () => {
        provider.calls.length = 0;
        provider.heartbeatIds.length = 0;
      },
      close: () => provider.close(),
    };
  },

  async connect(host: string, port: number): Promise<DemoClient> {
    // dubbo2.js connects in the background and holds calls until it is connected.
    return new DubboClient(new Dubbo2jsClient(host, port, INVOKE_TIMEOUT_SECONDS));
  },
};
