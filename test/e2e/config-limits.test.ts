/**
 * `aeraki validate` on a 50 MB config file answers within seconds: the file is over the default
 * 16 MiB limit and is refused unread, with an error naming it, its size and the limit (it used to
 * take 90 s and 3.75 GB of memory to parse).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runAeraki } from './harness/index.js';

/** The bound for an answer on a 50 MB file. */
const ANSWER_WITHIN_MS = 20_000;

let dir = '';
let file = '';
let size = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aeraki-limits-'));
  file = join(dir, 'huge.yaml');
  const document = `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: svc
spec:
  hosts: [svc.demo.svc.cluster.local]
  ports:
    - {number: 9090, name: tcp-metaprotocol-thrift-svc, protocol: TCP}
---
`;
  const text = document.repeat(Math.ceil((50 * 1024 * 1024) / document.length));
  size = Buffer.byteLength(text);
  await writeFile(file, text);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test(
  'aeraki validate refuses a 50 MB file by the size limit, naming file, size and limit, within seconds',
  {
    timeout: 60_000,
  },
  async () => {
    const started = Date.now();
    const result = await runAeraki(['validate', dir], ANSWER_WITHIN_MS + 10_000);
    const elapsed = Date.now() - started;
    assert.equal(result.code, 1, result.stderr);
    assert.ok(elapsed < ANSWER_WITHIN_MS, `answered after ${elapsed} ms`);
    assert.ok(
      result.stdout.includes(
        `${file}:1:1: error: ${file} is 50 MiB (${size} bytes), over the limit of 16 MiB for one config file; it was not read (rule config-file-too-large)`,
      ),
      result.stdout,
    );
    assert.match(result.stdout, /: 1 error, 0 warnings in 1 file\n$/);
  },
);

test('--config-max-file-size sets the limit; --json names the rule', { timeout: 60_000 }, async () => {
  const result = await runAeraki(
    ['validate', dir, '--json', '--config-max-file-size', '1MiB'],
    ANSWER_WITHIN_MS,
  );
  assert.equal(result.code, 1, result.stderr);
  const report = JSON.parse(result.stdout) as {
    ok: boolean;
    errors: Array<{ file: string; rule: string; message: string }>;
  };
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.errors.map(e => [e.file, e.rule]),
    [[file, 'config-file-too-large']],
  );
  assert.match(report.errors[0]!.message, /over the limit of 1 MiB/);
});

test('a size that is not one is a usage error', async () => {
  const result = await runAeraki(['validate', dir, '--config-max-file-size', 'lots']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--config-max-file-size must be a size such as 16MiB/);
});
