/**
 * `npm run bench:codecs`: the codec work of one proxied call, without sockets — decode the request,
 * encode it with the upstream id, decode the reply, encode it back with the client's id — for the
 * built-in Thrift codec, the memcached plugin (plugins/memcached, loaded as --plugin loads it) and
 * the declarative memcached codec (plugins/declarative/memcached.yaml). It prints the main thread's CPU
 * per call of each, and the two ratios the issue sets goals for: plugin/Thrift ≤ 1.2, declarative/
 * plugin ≤ 1.3. The same frames as `npm run bench` sends (a call with a 100-byte argument, a small
 * reply). Rounds are interleaved and the median kept, so another program's load affects all alike.
 *
 * Options: --calls N (per round, default 200000), --rounds N (default 5).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ByteQueue, type CodecFactory } from '../src/codec/index.js';
import { builtinCodecs } from '../src/codecs/index.js';
import { FilterRegistry } from '../src/filters/filter-registry.js';
import { PluginLoader } from '../src/plugins/plugin-loader.js';
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: 'string' }, rounds: { type: 'string' } } });
  const calls = Number(values.calls ?? 200_000);
  const rounds = Number(values.rounds ?? 5);
  const root = repoRoot();
  const codecs = builtinCodecs();
  const loader = new PluginLoader({ codecs, filters: new FilterRegistry() });
  await loader.load(join(root, 'plugins/memcached'));
  const plugin = codecs.require('aeraki.meta_protocol.codec.memcached');
  const declarativeRegistry = builtinCodecs();
  await new PluginLoader({ codecs: declarativeRegistry, filters: new FilterRegistry() }).load(
    join(root, 'plugins/declarative/memcached.yaml'),
  );
  const declarative = declarativeRegistry.require('aeraki.meta_protocol.codec.memcached');
  const subjects: [string, CodecFactory, [Buffer, Buffer]][] = [
    ['thrift (built in)', codecs.require('aeraki.meta_protocol.codec.thrift'), thriftFrames()],
    ['memcached (plugin)', plugin, memcachedFrames()],
    ['memcached (declarative)', declarative, memcachedFrames()],
  ];
  const results = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
  for (const [, factory, frames] of subjects) measure(factory, frames, calls / 4); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, factory, frames] of subjects) results.get(name)!.push(measure(factory, frames, calls));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const us = new Map([...results].map(([name, xs]) => [name, median(xs)]));
  for (const [name, value] of us) {
    process.stdout.write(`${name.padEnd(24)} ${value.toFixed(3)} µs CPU per call (median of ${rounds})\n`);
  }
  const ratio = (a: string, b: string) => us.get(a)! / us.get(b)!;
  const lines: [string, number, number][] = [
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
