/**
 * The real dubbo2.js client (`DirectlyDubbo`, one TCP connection to one address), wrapped for tests:
 * generic calls by interface and method, and a `close` that dubbo2.js lacks (its socket worker
 * reconnects forever and keeps a 180 s heartbeat timer, which would keep the test process alive).
 */
import { DirectlyDubbo } from 'dubbo2.js';

/** What a dubbo2.js call resolves to: the result, or the error its caller sees. */
export interface Dubbo2jsResult {
  readonly res: unknown;
  readonly err: Error | null;
}

export interface CallOptions {
  readonly version?: string;
  readonly group?: string;
  /** Sent as the `timeout` attachment. */
  readonly timeout?: number;
}

/** The parts of dubbo2.js's socket worker that `close` needs (not part of its typed API). */
interface SocketWorkerInternals {
  _retry: number;
  _heartBeatTimer: NodeJS.Timeout | undefined;
  _socket: { destroy(): void; write(bytes: Buffer): boolean };
}

export class Dubbo2jsClient {
  private readonly dubbo: DirectlyDubbo;

  /** Connects to `host:port`; calls fail after `invokeTimeoutSeconds`. */
  constructor(host: string, port: number, invokeTimeoutSeconds = 5) {
    this.dubbo = DirectlyDubbo.from({
      dubboAddress: `${host}:${port}`,
      dubboVersion: '2.0.2',
      dubboInvokeTimeout: invokeTimeoutSeconds,
    });
  }

  /** Calls `service.method(...args)`; args are js-to-java values. */
  call(
    service: string,
    method: string,
    args: readonly unknown[] = [],
    options: CallOptions = {},
  ): Promise<Dubbo2jsResult> {
    const proxy = this.dubbo.proxyService<Record<string, (...a: unknown[]) => Promise<Dubbo2jsResult>>>({
      dubboInterface: service,
      version: options.version ?? '1.0.0',
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      methods: { [method]: () => [...args] },
    });
    return proxy[method]!();
  }

  /** Writes raw bytes on the client's connection (e.g. its own heartbeat frame). */
  writeRaw(bytes: Buffer): void {
    this.worker()._socket.write(bytes);
  }

  /** Closes the connection for good. */
  close(): void {
    const worker = this.worker();
    worker._retry = 0;
    clearInterval(worker._heartBeatTimer);
    worker._socket.destroy();
  }

  private worker(): SocketWorkerInternals {
    return (this.dubbo as unknown as { _socketWorker: SocketWorkerInternals })._socketWorker;
  }
}
