/**
 * ListenerSet, the listener life both data planes share: a busy address rejects its listener alone
 * (the previous version serving) and is retried with backoff until it binds, a gate can hold the
 * retries, a listener the config drops drains, and a rejection is logged once per reason.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { ErrorCodes } from '../../../src/errors.js';
import { ListenerSet, type ListenerAddress } from '../../../src/net/listener-set.js';

const ADDRESS = '127.0.79.1';

/** A real listening socket with the set's listener interface; records its drains. */
class SocketListener {
  readonly server: Server = createServer(socket => socket.end());
  drains: number[] = [];

  constructor(readonly state: { readonly resource: ListenerAddress }) {}

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.state.resource.port, this.state.resource.address, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  drain(graceMs: number): Promise<void> {
    this.drains.push(graceMs);
    return new Promise(resolve => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

function setOf(lines: string[] = []) {
  const counts = { created: 0, failed: 0 };
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line).msg as string) },
  );
  const set = new ListenerSet<ListenerAddress, SocketListener>({
    bindRetry: { initialMs: 10, maxMs: 20 },
    drainMs: 123,
    logger,
    noun: 'toy listener',
    counters: { onCreated: () => counts.created++, onFailed: () => counts.failed++ },
  });
  return { set, counts, lines };
}

async function busyPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, ADDRESS, resolve));
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a busy address is rejected, retried with backoff, and binds (replacing the previous) once free', async () => {
  const { set, counts, lines } = setOf();
  const blocker = await busyPort();
  const port = portOf(blocker);
  const previous = new SocketListener({ resource: { name: 'l', address: ADDRESS, port: 0 } });
  await set.bind('l', previous, undefined);
  assert.equal(set.listeners.get('l'), previous);

  const next = new SocketListener({ resource: { name: 'l', address: ADDRESS, port } });
  await set.bind('l', next, previous);
  assert.equal(set.listeners.get('l'), previous, 'the previous version keeps serving');
  assert.equal(set.pending('l'), next);
  const [rejection] = set.rejected();
  assert.equal(rejection?.name, 'l');
  assert.equal(rejection?.serving, 'previous');
  assert.match(rejection?.reason ?? '', /EADDRINUSE/);
  assert.equal(rejection?.code, ErrorCodes.CONFIG_INVALID);
  assert.ok((rejection?.bindFailures ?? 0) >= 1 && rejection?.retryAt !== undefined);

  await waitFor(() => counts.failed >= 3, 'a few retries');
  assert.equal(lines.filter(l => l.includes('update rejected')).length, 1, 'the same reason is logged once');
  await new Promise<void>(resolve => blocker.close(() => resolve()));
  await waitFor(() => set.listeners.get('l') === next, 'the retry to bind');
  assert.deepEqual(set.rejected(), []);
  assert.equal(set.pending('l'), undefined);
  assert.deepEqual(previous.drains, [123], 'the previous version drains once the new one binds');
  assert.equal(counts.created, 2);
  assert.ok(lines.some(l => l === 'toy listener bound: its address is free now'));
  await set.close(0);
});

test('the gate holds every retry, and its refusal counts as a failed attempt', async () => {
  const { set, counts } = setOf();
  const blocker = await busyPort();
  const port = portOf(blocker);
  let open = false;
  let asked = 0;
  set.bindRetryGate = resource => {
    asked++;
    assert.equal(resource.port, port);
    return open ? Promise.resolve() : Promise.reject(new Error('still taken elsewhere'));
  };
  const listener = new SocketListener({ resource: { name: 'g', address: ADDRESS, port } });
  await set.bind('g', listener, undefined);
  await new Promise<void>(resolve => blocker.close(() => resolve()));
  await waitFor(() => asked >= 3, 'retries asking the gate');
  assert.equal(set.listeners.get('g'), undefined, 'no bind while the gate refuses, though the port is free');
  assert.equal(set.rejected()[0]?.reason, 'still taken elsewhere');
  assert.equal(set.rejected()[0]?.serving, 'none');
  assert.ok(counts.failed >= 3);
  open = true;
  await waitFor(() => set.listeners.get('g') === listener, 'the bind once the gate opens');
  await set.close(0);
});

test('retain drains the listeners the config dropped and stops retrying theirs', async () => {
  const { set } = setOf();
  const blocker = await busyPort();
  const kept = new SocketListener({ resource: { name: 'kept', address: ADDRESS, port: 0 } });
  const dropped = new SocketListener({ resource: { name: 'dropped', address: ADDRESS, port: 0 } });
  const waiting = new SocketListener({
    resource: { name: 'waiting', address: ADDRESS, port: portOf(blocker) },
  });
  await set.bind('kept', kept, undefined);
  await set.bind('dropped', dropped, undefined);
  await set.bind('waiting', waiting, undefined);
  assert.deepEqual(
    set.rejected().map(r => r.name),
    ['waiting'],
  );

  set.retain(new Map([['kept', true]]));
  assert.deepEqual([...set.listeners.keys()], ['kept']);
  assert.deepEqual(dropped.drains, [123]);
  assert.equal(set.pending('waiting'), undefined);
  assert.deepEqual(set.rejected(), []);
  await new Promise<void>(resolve => blocker.close(() => resolve()));
  await sleep(60);
  assert.equal(waiting.server.listening, false, 'a cancelled bind is not retried');
  await set.close(0);
  assert.deepEqual(kept.drains, [0]);
  assert.equal(set.listeners.size, 0);
});
