import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AccessLog } from '../../../../src/proxy/telemetry/access-log.js';
import {
  HIDDEN_KEYS,
  accessLogEntry,
  finishedRequest,
  finishedRequests,
  metadata,
} from './finished-requests.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-access-log-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the worker writes one JSON line per request, in order, across batches and string-table resets', () =>
  withDir(async dir => {
    const path = join(dir, 'logs', 'access.log');
    // A small string table: every client-sent operation is new, so the table is reset many times.
    const log = new AccessLog({ path, redact: ['Emoji'], maxStrings: 50 });
    const expected: unknown[] = [];
    const kinds = Object.values(finishedRequests);
    for (let i = 0; i < 20_000; i++) {
      // A burst is not written faster than the worker takes it: more than 16 batches waiting are dropped.
      if (i % 200 === 0) while (log.batchesInFlight > 0) await new Promise(resolve => setTimeout(resolve, 1));
      const base = kinds[i % kinds.length]!;
      const req = finishedRequest({
        ...base,
        request: { ...base.request, operation: `op-${i}`, requestId: i },
      });
      log.write(req, req.startTime + (i % 100));
      expected.push(JSON.parse(JSON.stringify(accessLogEntry(req, req.startTime + (i % 100), HIDDEN_KEYS))));
    }
    await log.close();
    assert.equal(log.dropped, 0);
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    assert.deepEqual(
      lines.map(line => JSON.parse(line) as unknown),
      expected,
    );
  }));

test('an Envoy format string is applied by the worker; requests after close are ignored', () =>
  withDir(async dir => {
    const path = join(dir, 'access.log');
    const log = new AccessLog({
      path,
      format: '%OPERATION% %RESPONSE_FLAGS% %REQ(method)% %RESP(x-served-by)%',
    });
    log.write(finishedRequests['success']!, Date.now());
    log.write(finishedRequests['local reply']!, Date.now());
    await log.close();
    log.write(finishedRequests['success']!, Date.now());
    assert.equal(
      await readFile(path, 'utf8'),
      'Hello/sayHello - sayHello v1\nHello/sayHello RL sayHello -\n',
    );
  }));

test('lines are written within the flush interval while the proxy runs', () =>
  withDir(async dir => {
    const path = join(dir, 'access.log');
    const log = new AccessLog({ path });
    const req = finishedRequest({
      request: {
        type: 'oneway',
        metadata: metadata({}),
        operation: 'ping',
        requestId: 0,
        bytes: Buffer.alloc(3),
      },
    });
    log.write(req, req.startTime);
    let text = '';
    for (let i = 0; i < 100 && text === ''; i++) {
      await new Promise(resolve => setTimeout(resolve, 20));
      text = await readFile(path, 'utf8');
    }
    assert.equal(JSON.parse(text).operation, 'ping');
    await log.close();
  }));

test('requests beyond 16 batches waiting for the worker are counted as dropped, the others written whole', () =>
  withDir(async dir => {
    const path = join(dir, 'access.log');
    const log = new AccessLog({ path, maxStrings: 20 });
    const total = 2000;
    for (let i = 0; i < total; i++) {
      const req = finishedRequest({
        request: {
          type: 'oneway',
          metadata: metadata({}),
          operation: `op-${i}`,
          requestId: i,
          bytes: Buffer.alloc(1),
        },
      });
      log.write(req, req.startTime);
    }
    await log.close();
    const lines = (await readFile(path, 'utf8'))
      .split('\n')
      .slice(0, -1)
      .map(l => JSON.parse(l) as { operation: string; request_id: number });
    assert.ok(log.dropped > 0, 'a synchronous burst of 2000 new strings overruns 16 batches of ~20');
    assert.equal(lines.length + log.dropped, total);
    assert.deepEqual(log.stats(), { dropped: log.dropped, writeFailures: 0 });
    // What was written is whole, in order, and each line names its own request.
    let last = -1;
    for (const line of lines) {
      assert.equal(line.operation, `op-${line.request_id}`);
      assert.ok(line.request_id > last);
      last = line.request_id;
    }
  }));

test('sampling logs that share of successful requests, and every failed one', () =>
  withDir(async dir => {
    const path = join(dir, 'access.log');
    const log = new AccessLog({ path, successSamplingPercent: 25 });
    const n = 4000;
    for (let i = 0; i < n; i++) {
      if (i % 200 === 0) while (log.batchesInFlight > 0) await new Promise(resolve => setTimeout(resolve, 1));
      log.write(finishedRequests['success']!, Date.now());
      log.write(finishedRequests['local reply']!, Date.now());
      log.write(finishedRequests['error reply']!, Date.now());
    }
    await log.close();
    const lines = (await readFile(path, 'utf8'))
      .split('\n')
      .slice(0, -1)
      .map(line => JSON.parse(line) as { response_code: number });
    const failed = lines.filter(l => l.response_code === 1).length;
    assert.equal(failed, 2 * n, 'every failed request is logged');
    // Binomial(4000, 0.25): mean 1000, sd 27.4; 99.9% of runs fall within 3.29 sd.
    const logged = lines.length - failed;
    assert.ok(
      Math.abs(logged - 1000) <= 3.29 * Math.sqrt(n * 0.25 * 0.75),
      `${logged} of ${n} successes logged`,
    );
  }));

test('sampling 0 logs errors only', () =>
  withDir(async dir => {
    const path = join(dir, 'access.log');
    const log = new AccessLog({ path, successSamplingPercent: 0 });
    for (let i = 0; i < 100; i++) log.write(finishedRequests['success']!, Date.now());
    log.write(finishedRequests['local reply']!, Date.now());
    await log.close();
    const lines = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]!) as { response_flags: string }).response_flags, 'RL');
  }));

test('a file that cannot be opened is an error when the log is created', () =>
  withDir(async dir => {
    await assert.rejects(async () => new AccessLog({ path: join(dir, 'no\u0000such') }), /path|string|null/i);
  }));

test('a bad format string is an error when the log is created', () =>
  withDir(async dir => {
    assert.throws(
      () => new AccessLog({ path: join(dir, 'a.log'), format: '%NOPE%' }),
      /unknown command %NOPE%/,
    );
  }));

test('failed writes are counted and reported, the first at once', async () => {
  const errors: Error[] = [];
  const log = new AccessLog({ path: '/dev/full', onError: err => errors.push(err) });
  for (let i = 0; i < 1000; i++) log.write(finishedRequests['success']!, Date.now());
  await log.close();
  assert.ok(log.stats().writeFailures >= 1);
  assert.equal(errors.length, 1, 'one report per 10 s');
  assert.match(errors[0]!.message, /ENOSPC/);
});
