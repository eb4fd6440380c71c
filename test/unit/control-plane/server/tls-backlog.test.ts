/**
 * TlsBacklog over a real TLS connection on loopback whose client stops reading: a write counts as
 * flushed only once the connection has sent its ciphertext, not when TLS has encrypted it.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { TlsBacklog, unsentBytes } from '../../../../src/control-plane/server/tls-backlog.js';
import { CertificateAuthority } from '../../../../src/net/tls-certificates.js';

const LIMIT = 256 * 1024;
/** Far more than loopback's socket buffers take while the client reads nothing. */
const WRITE = Buffer.alloc(32 * 1024 * 1024, 1);

let server: Server;
let port = 0;
const accepted: TLSSocket[] = [];

before(async () => {
  const certificate = CertificateAuthority.create('test').issue({ dnsNames: ['localhost'] });
  server = createServer({ cert: certificate.certPem, key: certificate.keyPem }, socket => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise<void>(resolve => server.close(() => resolve()));
});

/** A connection whose client reads nothing until resumed, and the server's side of it. */
async function stalledConnection(): Promise<{ client: TLSSocket; socket: TLSSocket }> {
  const count = accepted.length;
  const client = connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  client.on('error', () => {});
  await new Promise<void>(resolve => client.once('secureConnect', resolve));
  client.pause();
  while (accepted.length === count) await sleep(5);
  return { client, socket: accepted.at(-1)! };
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a write is flushed once its ciphertext has left the connection, not once encrypted', async () => {
  const { client, socket } = await stalledConnection();
  const backlog = new TlsBacklog(LIMIT);
  assert.equal(unsentBytes(socket), 0, 'the unsent bytes of an idle connection are known');
  let encrypted = false;
  socket.write(WRITE, () => (encrypted = true));
  await until(() => (unsentBytes(socket) ?? 0) > LIMIT, 'ciphertext to pile up unsent');
  const flushed: string[] = [];
  backlog.whenSent(
    socket,
    () => unsentBytes(socket),
    () => flushed.push('first'),
  );
  backlog.whenSent(
    socket,
    () => unsentBytes(socket),
    () => flushed.push('second'),
  );
  await sleep(100);
  assert.deepEqual(flushed, [], 'nothing is flushed while the client reads nothing');
  assert.equal(backlog.connectionsWaiting, 1);

  let received = 0;
  client.on('data', (chunk: Buffer) => (received += chunk.length));
  client.resume();
  await until(() => flushed.length === 2, 'the writes to be flushed once the client reads');
  assert.deepEqual(flushed, ['first', 'second'], 'in the order written');
  assert.ok((unsentBytes(socket) ?? 0) <= LIMIT);
  await until(() => received === WRITE.length && encrypted, 'everything to arrive');
  assert.equal(backlog.connectionsWaiting, 0);
  client.destroy();
});

test('a connection below the limit flushes at once, and one that closes releases its writes', async () => {
  const { client, socket } = await stalledConnection();
  const backlog = new TlsBacklog(LIMIT);
  let now = false;
  backlog.whenSent(
    socket,
    () => unsentBytes(socket),
    () => (now = true),
  );
  assert.equal(now, true);

  socket.write(WRITE);
  await until(() => (unsentBytes(socket) ?? 0) > LIMIT, 'ciphertext to pile up unsent');
  let released = false;
  backlog.whenSent(
    socket,
    () => unsentBytes(socket),
    () => (released = true),
  );
  await sleep(50);
  assert.equal(released, false);
  backlog.closed(socket);
  assert.equal(released, true);
  assert.equal(backlog.connectionsWaiting, 0);
  client.destroy();
});

test('a socket whose unsent bytes cannot be read is flushed when written, as before', () => {
  const backlog = new TlsBacklog(LIMIT);
  let done = false;
  backlog.whenSent(
    {},
    () => undefined,
    () => (done = true),
  );
  assert.equal(done, true);
});
