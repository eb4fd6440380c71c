/**
 * `npm run bench:codecs`: the codec work of one proxied call, without sockets — decode the request,
 * encode it with the upstream id, decode the reply, encode it back with the client's id — for the
 * built-in Thrift and Dubbo codecs, the memcached plugin (plugins/memcached, loaded as --plugin loads
 * it) and the declarative memcached codec (plugins/declarative/memcached.yaml). It prints the main
 * thread's CPU per call of each, and the ratios the issues set goals for: Dubbo/Thrift ≤ 1.2,
 * plugin/Thrift ≤ 1.2, declarative/plugin ≤ 1.3. The same frames as `npm run bench` sends (a call
 * with a 100-byte argument, a small reply; the Dubbo call is the one the C client sends, read from
 * `dubbo_loadgen.bin --dump-request`). Rounds are interleaved and the median kept, so another
 * program's load affects all alike.
 *
 * Options: --calls N (per round, default 200000), --rounds N (default 5).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ByteQueue, type CodecFactory } from '../src/codec/index.js';
import { builtinCodecs } from '../src/codecs/index.js';
import { FilterRegistry } from '../src/filters/filter-registry.js';
import { PluginLoader } from '../src/plugins/plugin-loader.js';
import { buildNative } from './native-build.js';
import { PROTOCOLS } from './protocols.js';
import { repoRoot } from './repo-root.js';

const PAYLOAD = 100;

/** A framed strict-binary Thrift CALL sayHello(string) and its REPLY, as the bench's C programs send them. */
function thriftFrames(): [Buffer, Buffer] {
  const name = Buffer.from('sayHello');
  const call = Buffer.alloc(4 + 4 + 4 + name.length + 4 + 3 + 4 + PAYLOAD + 1);
  call.writeUInt32BE(call.length - 4, 0);
  call.writeUInt32BE(0x80010001, 4);
  call.writeUInt32BE(name.length, 8);
  name.copy(call, 12);
  let at = 12 + name.length + 4;
  call[at] = 11;
  call.writeInt16BE(1, at + 1);
  call.writeUInt32BE(PAYLOAD, at + 3);
  call.fill(0x61, at + 7, at + 7 + PAYLOAD);
  const result = Buffer.from('Hello from the bench!');
  const reply = Buffer.alloc(4 + 4 + 4 + name.length + 4 + 3 + 4 + result.length + 1);
  reply.writeUInt32BE(reply.length - 4, 0);
  reply.writeUInt32BE(0x80010002, 4);
  reply.writeUInt32BE(name.length, 8);
  name.copy(reply, 12);
  at = 12 + name.length + 4;
  reply[at] = 11;
  reply.writeInt16BE(0, at + 1);
  reply.writeUInt32BE(result.length, at + 3);
  result.copy(reply, at + 7);
  return [call, reply];
}

/** A memcached SET of "bench:key" with a 100-byte value, and its "stored" response. */
function memcachedFrames(): [Buffer, Buffer] {
  const key = Buffer.from('bench:key');
  const call = Buffer.alloc(24 + 8 + key.length + PAYLOAD);
  call[0] = 0x80;
  call[1] = 0x01;
  call.writeUInt16BE(key.length, 2);
  call[4] = 8;
  call.writeUInt32BE(8 + key.length + PAYLOAD, 8);
  key.copy(call, 32);
  call.fill(0x61, 32 + key.length);
  const reply = Buffer.alloc(24);
  reply[0] = 0x81;
  reply[1] = 0x01;
  return [call, reply];
}

/**
 * The C client's Dubbo call (dubbo2.js's bytes for sayHello with a 100-byte string) and the C server's
 * reply: status 20, RESPONSE_VALUE (int 1) and a short string.
 */
function dubboFrames(root: string): [Buffer, Buffer] {
  const dir = join(root, 'bench/native');
  const programs = buildNative(
    dir,
    PROTOCOLS.filter(p => p.name === 'dubbo'),
  ).get('dubbo')!;
  const hex = execFileSync(programs.loadgen, ['--dump-request', String(PAYLOAD)], { encoding: 'utf8' });
  const call = Buffer.from(hex.trim(), 'hex');
  const result = Buffer.from('Hello from the bench!');
  const body = Buffer.concat([Buffer.from([0x91, result.length]), result]);
  const header = Buffer.alloc(16);
  header.writeUInt16BE(0xdabb, 0);
  header[2] = 0x02; // Hessian2, a response
  header[3] = 20; // OK
  call.copy(header, 4, 4, 12); // the request id
  header.writeUInt32BE(body.length, 12);
  return [call, Buffer.concat([header, body])];
}

/** CPU µs of the main thread per call over `calls` proxied calls through `factory`. */
function measure(factory: CodecFactory, [call, reply]: [Buffer, Buffer], calls: number): number {
  const downstream = factory.create('downstream');
  const upstream = factory.create('upstream');
  const requests = new ByteQueue();
  const replies = new ByteQueue();
  const start = process.cpuUsage();
  for (let i = 1; i <= calls; i++) {
    // Fresh copies, as sockets deliver fresh buffers (encode may write into them).
    requests.push(Buffer.from(call));
    const request = downstream.decode(requests)!;
    upstream.encode(request, { requestId: i });
    replies.push(Buffer.from(reply));
    const response = upstream.decode(replies)!;
    downstream.encode(response, { requestId: request.requestId });
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

const SUBJECTS = [
  'thrift (built in)',
  'dubbo (built in)',
  'memcached (plugin)',
  'memcached (declarative)',
] as const;
type Subject = (typeof SUBJECTS)[number];

/** The codec and frames of `subject`. */
async function subjectCodec(subject: Subject, root: string): Promise<[CodecFactory, [Buffer, Buffer]]> {
  const codecs = builtinCodecs();
  switch (subject) {
    case 'thrift (built in)':
      return [codecs.require('aeraki.meta_protocol.codec.thrift'), thriftFrames()];
    case 'dubbo (built in)':
      return [codecs.require('aeraki.meta_protocol.codec.dubbo'), dubboFrames(root)];
    case 'memcached (plugin)':
    case 'memcached (declarative)': {
      const plugin =
        subject === 'memcached (plugin)' ? 'plugins/memcached' : 'plugins/declarative/memcached.yaml';
      await new PluginLoader({ codecs, filters: new FilterRegistry() }).load(join(root, plugin));
      return [codecs.require('aeraki.meta_protocol.codec.memcached'), memcachedFrames()];
    }
  }
}

/**
 * Each measurement runs in a process of its own, as each protocol's proxy does in `npm run bench`:
 * in one process, the code the codecs share (ByteQueue, Metadata, the message) is optimised for
 * several codecs at once, and Thrift measured after Dubbo cost twice as much.
 */
function measureInChild(subject: Subject, calls: number): number {
  const out = execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--subject', subject, '--calls', String(calls)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return Number(out.trim());
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { calls: { type: 'string' }, rounds: { type: 'string' }, subject: { type: 'string' } },
  });
  const calls = Number(values.calls ?? 200_000);
  const rounds = Number(values.rounds ?? 5);
  const root = repoRoot();
  if (values.subject !== undefined) {
    const [factory, frames] = await subjectCodec(values.subject as Subject, root);
    measure(factory, frames, calls / 4); // warm-up
    process.stdout.write(`${measure(factory, frames, calls)}\n`);
    return;
  }
  const results = new Map<string, number[]>(SUBJECTS.map(name => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of SUBJECTS) results.get(name)!.push(measureInChild(name, calls));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const us = new Map([...results].map(([name, xs]) => [name, median(xs)]));
  for (const [name, value] of us) {
    process.stdout.write(`${name.padEnd(24)} ${value.toFixed(3)} µs CPU per call (median of ${rounds})\n`);
  }
  const ratio = (a: string, b: string) => us.get(a)! / us.get(b)!;
  const lines: [string, number, number][] = [
    ['dubbo / thrift', ratio('dubbo (built in)', 'thrift (built in)'), 1.2],
    ['memcached plugin / thrift', ratio('memcached (plugin)', 'thrift (built in)'), 1.2],
    ['declarative / plugin', ratio('memcached (declarative)', 'memcached (plugin)'), 1.3],
  ];
  for (const [label, value, goal] of lines) {
    process.stdout.write(
      `${value <= goal ? 'PASS' : 'FAIL'}  ${label} = ${value.toFixed(2)} (goal <= ${goal})\n`,
    );
  }
}

await main();
