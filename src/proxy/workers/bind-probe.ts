/**
 * Retries of failed listener binds in a proxy with workers. node:cluster keys the primary's
 * listening socket by address and by how many times the worker process asked to listen on that
 * address (a failed attempt counts too and is never given back), so two workers whose failed
 * attempts differ in number ask for different sockets: the first to bind holds the address, the
 * other then fails forever with EADDRINUSE. So a worker retries a failed bind only when the primary
 * says the address can be had: another worker serves it (the worker joins that socket), or the
 * primary could bind it a moment ago. Every worker then attempts as often as the others, and the
 * first attempts (when all workers apply the same snapshot) share one socket.
 */
import { createServer } from 'node:net';
import { AerakiError, ErrorCodes } from '../../errors.js';
import type { ListenerResource } from '../../xds/resources.js';
import type { ProbeMessage, ProbedMessage } from './worker-messages.js';

/**
 * The primary's side: whether `address:port` can be had. `served` says whether a worker serves it
 * now; otherwise the primary binds it for a moment. Probes of one address at the same time share
 * one answer (two test binds at once would take the address from each other).
 */
export class BindProbes {
  private readonly inFlight = new Map<string, Promise<string | undefined>>();

  constructor(private readonly served: (address: string, port: number) => boolean) {}

  async answer(probe: ProbeMessage): Promise<ProbedMessage> {
    const error = this.served(probe.address, probe.port) ? undefined : await this.tryBind(probe);
    return error === undefined ? { type: 'probed', id: probe.id } : { type: 'probed', id: probe.id, error };
  }

  private tryBind(probe: ProbeMessage): Promise<string | undefined> {
    const key = `${probe.address}:${probe.port}`;
    let result = this.inFlight.get(key);
    if (result === undefined) {
      result = new Promise<string | undefined>(resolve => {
        const server = createServer();
        server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        server.listen({ host: probe.address, port: probe.port }, () =>
          server.close(() => resolve(undefined)),
        );
      }).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, result);
    }
    return result;
  }
}

/** A worker's side: the gate the proxy passes before each retry of a failed bind. */
export class WorkerBindProbes {
  private nextId = 1;
  private readonly waiting = new Map<number, (message: ProbedMessage) => void>();

  constructor(private readonly send: (message: ProbeMessage) => void) {}

  /** Resolves when `listener`'s address can be had; rejects as a failed bind would. */
  gate(listener: Pick<ListenerResource, 'name' | 'address' | 'port'>): Promise<void> {
    const { address, port, name } = listener;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, answer => {
        if (answer.error === undefined) return resolve();
        reject(
          new AerakiError(
            ErrorCodes.LISTEN_FAILED,
            `listener ${name} cannot listen on ${address}:${port}: ${answer.error}`,
          ),
        );
      });
      this.send({ type: 'probe', id, address, port });
    });
  }

  /** The primary's answer. */
  answered(message: ProbedMessage): void {
    const done = this.waiting.get(message.id);
    if (done === undefined) return;
    this.waiting.delete(message.id);
    done(message);
  }
}
