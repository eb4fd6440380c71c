/**
 * The well-behaved client beside an attack: a real Apache Thrift client calling `sayHello` on
 * another service every 50-100 ms, as the overload tests and `npm run bench:overload` measure it.
 * Every call's latency and every failure are kept.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectHello, type HelloConnection } from './hello-client.js';
import type { ThriftStack } from './thrift-stack.js';

const FRAMED: ThriftStack = { protocol: 'binary', transport: 'framed' };

/** What the control client saw. */
export interface ControlReport {
  /** Latency of each successful call, in ms, in call order. */
  readonly latenciesMs: number[];
  readonly errors: string[];
  /** Latency at the 99th percentile (nearest rank); 0 without calls. */
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The latency at quantile `q` of `values` (nearest rank). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Calls `sayHello` through `host:port` every 50-100 ms until `stop()`. */
export class ControlCaller {
  private readonly latencies: number[] = [];
  private readonly errors: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  private constructor(
    private connection: HelloConnection,
    private readonly host: string,
    private readonly port: number,
    private readonly callTimeoutMs: number,
  ) {
    this.loop = this.run();
  }

  static async start(host: string, port: number, callTimeoutMs = 5000): Promise<ControlCaller> {
    const connection = await connectHello(host, port, { stack: FRAMED });
    return new ControlCaller(connection, host, port, callTimeoutMs);
  }

  /** Stops calling and reports. */
  async stop(): Promise<ControlReport> {
    this.stopped = true;
    await this.loop;
    await this.connection.close();
    return {
      latenciesMs: this.latencies,
      errors: this.errors,
      p99Ms: percentile(this.latencies, 0.99),
      maxMs: this.latencies.reduce((a, b) => Math.max(a, b), 0),
    };
  }

  private async run(): Promise<void> {
    let n = 0;
    while (!this.stopped) {
      const started = performance.now();
      try {
        if (this.connection.isClosed) {
          this.connection = await connectHello(this.host, this.port, { stack: FRAMED });
        }
        const reply = await Promise.race([
          this.connection.client.sayHello(`control-${n++}`),
          sleep(this.callTimeoutMs, undefined, { ref: false }).then(() => {
            throw new Error(`no reply within ${this.callTimeoutMs} ms`);
          }),
        ]);
        if (!reply.startsWith('Hello control-')) throw new Error(`unexpected reply ${reply}`);
        this.latencies.push(performance.now() - started);
      } catch (err) {
        this.errors.push(err instanceof Error ? err.message : String(err));
      }
      await sleep(50 + Math.random() * 50);
    }
  }
}
