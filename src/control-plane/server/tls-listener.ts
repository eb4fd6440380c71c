/**
 * The TLS xDS port (15012, as istiod's): a TLS server of our own in front of a grpc-js server that
 * takes its connections as they are (grpc-js's connection injector). TLS is ours rather than
 * grpc-js's so that (1) a client certificate that fails verification still completes the handshake
 * and its stream is refused with gRPC UNAUTHENTICATED naming the reason (expired, another CA), which a
 * proxy's logs and `aeraki status --proxy` show, instead of a bare TLS alert; (2) the certificate can
 * be replaced while serving (setSecureContext; open connections keep theirs).
 *
 * Each connection's TLS facts are kept by its peer address for the streams it carries to read.
 */
import { createServer, type Server as TlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import type { XdsCredentials } from './xds-authenticator.js';

type TlsFacts = NonNullable<XdsCredentials['tls']>;

/** grpc-js's peer string for a socket (`call.getPeer()`). */
function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  const address = socket.remoteAddress ?? '';
  return socket.remotePort === undefined ? address : `${address}:${socket.remotePort}`;
}

/** TLS handshakes that take longer are cut (a client that connects and never speaks). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export class TlsXdsListener {
  private readonly tls: TlsServer;
  private readonly peers = new Map<string, TlsFacts>();
  private readonly sockets = new Set<TLSSocket>();
  private readonly injector: ReturnType<Server['createConnectionInjector']>;

  constructor(grpcServer: Server, context: SecureContextOptions) {
    this.injector = grpcServer.createConnectionInjector(ServerCredentials.createInsecure());
    this.tls = createServer({
      ...context,
      ALPNProtocols: ['h2'],
      // Asked for, checked by TLS against the CA, and judged by the authenticators: a bad one is
      // refused per stream with a reason rather than at the handshake.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    this.tls.on('secureConnection', (socket: TLSSocket) => {
      const peer = peerOf(socket);
      const certificate = socket.getPeerCertificate();
      const presented = certificate !== null && Object.keys(certificate).length > 0;
      const authorizationError = socket.authorizationError as unknown as string | Error | undefined;
      this.peers.set(peer, {
        authorized: socket.authorized,
        ...(authorizationError === undefined || authorizationError === null
          ? {}
          : {
              authorizationError:
                typeof authorizationError === 'string'
                  ? authorizationError
                  : ((authorizationError as NodeJS.ErrnoException).code ?? authorizationError.message),
            }),
        ...(presented ? { certificate } : {}),
      });
      this.sockets.add(socket);
      socket.once('close', () => {
        this.peers.delete(peer);
        this.sockets.delete(socket);
      });
      this.injector.injectConnection(socket);
    });
    // A failed handshake is the client's problem; it must not bring anything down.
    this.tls.on('tlsClientError', () => {});
  }

  /** Listens on `host:port` (0 picks a free port); resolves with the port bound. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.tls.once('error', onError);
      this.tls.listen(port, host, () => {
        this.tls.off('error', onError);
        const address = this.tls.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Serves new connections with another certificate, key and CA; open connections keep theirs. */
  setContext(context: SecureContextOptions): void {
    this.tls.setSecureContext(context);
  }

  /** The TLS facts of the connection a call came on (by `call.getPeer()`). */
  facts(peer: string): TlsFacts | undefined {
    return this.peers.get(peer);
  }

  /** Open TLS connections. */
  get connections(): number {
    return this.peers.size;
  }

  close(): Promise<void> {
    this.injector.destroy();
    const closed = new Promise<void>(resolve => this.tls.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }
}
