/**
 * An upstream that accepts connections and never reads from them, as a hung or overloaded server
 * does: whatever is sent to it piles up in the kernel's buffers, then in the sender's.
 */
import net from 'node:net';

export interface DeafServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted and still open. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Starts a deaf server on a free loopback port. */
export async function startDeafServer(host = '127.0.0.1'): Promise<DeafServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    socket.pause();
    socket.on('error', () => {});
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  return {
    host,
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return sockets.size;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
