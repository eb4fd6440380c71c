/**
 * One service of the demo at run time: its backends (one per version), its clients calling through
 * the proxy, and the tally of who answered.
 */
import type { DemoService } from './demo-config.js';
import { clientLoop } from './client-loop.js';
import type { Backend, DemoClient, ProtocolDriver } from './protocol-driver.js';
import { Tally } from './tally.js';

export class ServiceDemo {
  readonly tally = new Tally();
  private readonly backends: Backend[] = [];
  private readonly clients: DemoClient[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopping = false;

  constructor(
    readonly service: DemoService,
    readonly driver: ProtocolDriver,
  ) {}

  /** The versions to show: the endpoints', then any other that answered. */
  get versions(): string[] {
    return [...new Set([...this.service.endpoints.map(e => e.version), ...this.tally.total.keys()])];
  }

  /** The listener the clients connect to. */
  get listener(): { host: string; port: number } {
    return this.service.listeners[0]!;
  }

  /** Starts the backend of every version; `started` is told about each. */
  async startBackends(started: (endpoint: DemoService['endpoints'][number]) => void): Promise<void> {
    for (const endpoint of this.service.endpoints) {
      this.backends.push(await this.driver.startBackend(endpoint.version, endpoint.host, endpoint.port));
      started(endpoint);
    }
  }

  /** Connects `count` clients to the proxy and starts them calling, `rate` calls a second in all. */
  async startClients(count: number, rate: number): Promise<void> {
    const { host, port } = this.listener;
    for (let i = 0; i < count; i++) this.clients.push(await this.driver.connect(host, port));
    const perClient = rate > 0 ? rate / count : 0;
    for (const client of this.clients) {
      this.loops.push(clientLoop(client, this.tally, perClient, () => this.stopping));
    }
  }

  /** Called once a second: keeps the backends' own call records from growing. */
  tick(): void {
    for (const backend of this.backends) backend.forgetRecordedCalls();
  }

  /**
   * Stops calling: lets calls in flight answer (up to `graceMs`), then closes the clients. Each wait
   * is bounded: on Ctrl-C the proxy drains at the same moment, and a client library may leave a call
   * (or its own close) pending when its connection goes; the quickstart must stop all the same.
   */
  async stopClients(graceMs = 1000): Promise<void> {
    this.stopping = true;
    await settledWithin(this.loops, graceMs);
    await settledWithin(
      this.clients.map(c => c.close()),
      graceMs,
    );
    await settledWithin(this.loops, graceMs);
  }

  async closeBackends(): Promise<void> {
    await Promise.allSettled(this.backends.map(b => b.close()));
  }
}

/** Waits until every promise settled, or `ms` passed. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise(resolve => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
