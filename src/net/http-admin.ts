import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AerakiError, ErrorCodes } from '../errors.js';

/** Small helpers shared by the admin APIs of the proxy and the control plane. */

/** Binds `server` on `host:port` (port 0 picks a free one) and resolves with the bound port. */
export function listenHttp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // exclusive: in a proxy worker, a port of its own rather than one shared through the primary.
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Binds an admin API (`what` names it in the error) and resolves with its port; a failure becomes
 * AERAKI_ERR_LISTEN_FAILED naming the API, the address and the cause (EADDRINUSE, …).
 */
export async function bindAdmin(
  admin: { listen(host: string, port: number): Promise<number> },
  what: string,
  host: string,
  port: number,
): Promise<number> {
  try {
    return await admin.listen(host, port);
  } catch (err) {
    const cause = err as NodeJS.ErrnoException;
    throw new AerakiError(
      ErrorCodes.LISTEN_FAILED,
      `${what} cannot listen on ${host}:${port}: ${cause.code ?? cause.message}`,
      { cause: err },
    );
  }
}

/** Stops `server`, cutting open keep-alive connections. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise(resolve => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Answers with `body` as indented JSON. */
export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2) + '\n');
}

/** Answers with a plain-text body. */
export function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

/**
 * Whether `req` may be served by an admin API, which only reads: GET and HEAD may, any other method
 * gets 405 with `Allow`, as HTTP asks (the answer has then been sent).
 */
export function admitRead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.setHeader('allow', 'GET, HEAD');
  sendText(res, 405, `${req.method ?? ''} not allowed: the admin API only answers GET and HEAD\n`);
  return false;
}
