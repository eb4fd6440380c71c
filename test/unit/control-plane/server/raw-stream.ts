/**
 * A bare bidirectional gRPC stream for tests: write requests by hand, read responses in order, and
 * check that none arrives. The ADS test clients (state of the world and delta) build on it.
 */
import * as grpc from '@grpc/grpc-js';

export class RawStream<Request, Response> {
  private readonly client: grpc.Client;
  protected readonly call: grpc.ClientDuplexStream<Request, Response>;
  private readonly queue: Response[] = [];
  private waiter: ((r: Response) => void) | undefined;
  /** Set when the server ends the stream with an error. */
  error: grpc.ServiceError | undefined;

  constructor(
    port: number,
    method: Pick<
      grpc.MethodDefinition<Request, Response>,
      'path' | 'requestSerialize' | 'responseDeserialize'
    >,
    private readonly what: string,
  ) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
    );
    this.call.on('data', (response: Response) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter !== undefined) waiter(response);
      else this.queue.push(response);
    });
    this.call.on('error', (err: grpc.ServiceError) => {
      this.error = err;
    });
  }

  /** The next response, waiting up to `timeoutMs`. */
  next(timeoutMs = 2000): Promise<Response> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no ${this.what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = r => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  /** Resolves if no response arrives within `ms`; rejects with the response otherwise. */
  async nothingWithin(ms: number): Promise<void> {
    let response: Response;
    try {
      response = await this.next(ms);
    } catch {
      return;
    }
    throw new Error(
      `unexpected ${this.what}: ${JSON.stringify(response, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))}`,
    );
  }

  close(): void {
    this.call.end();
    this.call.cancel();
    this.client.close();
  }
}
