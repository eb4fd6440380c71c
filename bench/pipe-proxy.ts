/**
 * The "minimal Node hop" reference: a TCP proxy that pipes each downstream connection to its own
 * upstream connection and parses nothing. It shows what one Node event loop costs before any L7 work.
 *
 * Usage: node dist/bench/pipe-proxy.js LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT
 */
import { connect, createServer } from 'node:net';

const [listenHost = '127.0.0.1', listenPort = '0', upstreamHost = '127.0.0.1', upstreamPort = '0'] =
  process.argv.slice(2);

const server = createServer({ noDelay: true }, downstream => {
  const upstream = connect({ host: upstreamHost, port: Number(upstreamPort), noDelay: true });
  downstream.pipe(upstream).pipe(downstream);
  const close = () => {
    downstream.destroy();
    upstream.destroy();
  };
  downstream.once('error', close).once('close', close);
  upstream.once('error', close).once('close', close);
});
server.listen(Number(listenPort), listenHost);
