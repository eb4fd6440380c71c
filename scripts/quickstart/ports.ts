/**
 * Checks, before starting anything, that the addresses the quickstart needs are free, so a clash
 * (an earlier quickstart still running, another program) gets a clear message instead of a half-started demo.
 */
import net from 'node:net';
import { QuickstartError } from './options.js';

/** Throws a QuickstartError when `host:port` cannot be listened on; `what` says who needs it. */
export async function ensureFree(host: string, port: number, what: string): Promise<void> {
  const server = net.createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>(resolve => {
    server.once('error', err => resolve(err));
    server.listen({ host, port }, () => resolve(undefined));
  });
  if (error === undefined) {
    await new Promise<void>(resolve => server.close(() => resolve()));
    return;
  }
  if (error.code === 'EADDRINUSE') {
    throw new QuickstartError(
      `${host}:${port} is already in use, and the quickstart needs it for ${what}.\n` +
        `Stop whatever listens there (e.g. an earlier quickstart: 'ss -ltnp | grep :${port}') and try again.`,
    );
  }
  throw new QuickstartError(`cannot listen on ${host}:${port} for ${what}: ${error.message}`);
}
