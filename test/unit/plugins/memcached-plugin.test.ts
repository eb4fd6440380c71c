/**
 * The memcached plugin (plugins/memcached, outside src/, importing only aeraki/codec) loaded as
 * `--plugin` loads it: the SDK's compatibility test. The codec test kit runs on its fixtures
 * (recorded from memjs and memcached 1.6.18), and the quiet-command rewrite is followed step by step.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ByteQueue,
  loadCodecFixtures,
  runCodecTestKit,
  type Codec,
  type Message,
} from '../../../src/codec/index.js';
import { builtinCodecs } from '../../../src/codecs/index.js';
import { FilterRegistry } from '../../../src/filters/filter-registry.js';
import { PluginLoader } from '../../../src/plugins/plugin-loader.js';

const pluginDir = join(import.meta.dirname, '../../../../plugins/memcached');
const codecs = builtinCodecs();
const loaded = await new PluginLoader({ codecs, filters: new FilterRegistry() }).load(pluginDir);
const factory = codecs.require('aeraki.meta_protocol.codec.memcached');
const fixtures = await loadCodecFixtures(join(pluginDir, 'fixtures'));

function decode(codec: Codec, bytes: Buffer): Message {
  const queue = new ByteQueue();
  queue.push(bytes);
  const message = codec.decode(queue);
  assert.ok(message !== undefined);
  assert.equal(queue.length, 0);
  return message;
}

/** A memcached packet: magic, opcode, key, extras, value, opaque, status. */
function packet(magic: number, opcode: number, opaque: number, key = '', status = 0, value = ''): Buffer {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const out = Buffer.alloc(24 + k.length + v.length);
  out[0] = magic;
  out[1] = opcode;
  out.writeUInt16BE(k.length, 2);
  out.writeUInt16BE(status, 6);
  out.writeUInt32BE(k.length + v.length, 8);
  out.writeUInt32BE(opaque, 12);
  k.copy(out, 24);
  v.copy(out, 24 + k.length);
  return out;
}

describe('memcached plugin', () => {
  test('loads from its folder as a plugin, declaring the SDK it was written for', () => {
    assert.deepEqual(loaded.codecs, ['aeraki.meta_protocol.codec.memcached']);
    assert.equal(loaded.sdkVersion, '^1.0.0');
    assert.equal(loaded.path, join(pluginDir, 'dist/index.js'));
  });

  runCodecTestKit(factory, fixtures, { test });

  test('quiet commands go upstream as their answering twin; the silent outcome reaches the client as nothing', () => {
    const downstream = factory.create('downstream');
    const upstream = factory.create('upstream');
    const cases = [
      // [quiet opcode, loud twin, reply status, silent?]
      [0x11, 0x01, 0x0000, true], // SETQ stored: silent
      [0x12, 0x02, 0x0002, false], // ADDQ on an existing key: the error goes back, as ADDQ
      [0x09, 0x00, 0x0001, true], // GETQ miss: silent
      [0x0d, 0x0c, 0x0000, false], // GETKQ hit: the value goes back, as GETKQ
      [0x00, 0x00, 0x0001, false], // GET miss: answered as always
    ] as const;
    cases.forEach(([quiet, loud, status, silent], i) => {
      const request = decode(downstream, packet(0x80, quiet, 1000 + i, 'user:9'));
      assert.equal(request.type, 'request');
      const sent = upstream.encode(request, { requestId: i + 1 });
      assert.equal(sent[1], loud, 'sent as the answering twin');
      assert.equal(sent.readUInt32BE(12), i + 1);
      const reply = decode(upstream, packet(0x81, loud, i + 1, '', status, status === 0 ? 'v' : 'Not found'));
      assert.equal(reply.requestId, i + 1, 'the reply completes the request');
      const toClient = downstream.encode(reply, { requestId: request.requestId });
      if (silent) {
        assert.equal(toClient.length, 0);
      } else {
        assert.equal(toClient[1], quiet, "under the client's opcode");
        assert.equal(toClient.readUInt32BE(12), 1000 + i, "with the client's opaque");
        assert.equal(toClient.readUInt16BE(6), status);
      }
    });
  });

  test('QUIT, QUITQ and STAT are answered by the proxy, never forwarded', () => {
    const codec = factory.create('downstream');
    const quit = decode(codec, packet(0x80, 0x07, 5));
    assert.equal(quit.type, 'heartbeat');
    const answer = codec.encodeHeartbeatReply!(quit);
    assert.deepEqual(
      [answer[0], answer[1], answer.readUInt16BE(6), answer.readUInt32BE(12)],
      [0x81, 0x07, 0, 5],
    );
    assert.equal(
      codec.encodeHeartbeatReply!(decode(codec, packet(0x80, 0x17, 6))).length,
      0,
      'QUITQ: nothing',
    );
    const stat = codec.encodeHeartbeatReply!(decode(codec, packet(0x80, 0x10, 7)));
    assert.equal(stat.readUInt16BE(6), 0x83, 'not supported');
    assert.match(stat.subarray(24).toString(), /stat is not proxied/);
  });

  test('the proxy probes idle upstream connections with NOOP and consumes the reply', () => {
    const upstream = factory.create('upstream');
    const probe = upstream.encodeHeartbeat!(77);
    assert.deepEqual([probe[0], probe[1], probe.readUInt32BE(12)], [0x80, 0x0a, 77]);
    assert.equal(decode(upstream, packet(0x81, 0x0a, 77)).type, 'heartbeat-reply');
    assert.equal(
      decode(upstream, packet(0x81, 0x0a, 78)).type,
      'response',
      "a client's NOOP is answered to the client",
    );
  });

  test("local replies carry memcached's statuses", () => {
    const codec = factory.create('downstream');
    const get = decode(codec, packet(0x80, 0x00, 9, 'k'));
    const status = (kind: Parameters<Codec['encodeLocalReply']>[1]['kind']) =>
      codec.encodeLocalReply(get, { kind, message: 'why' })!.readUInt16BE(6);
    assert.equal(status('connect-failure'), 0x86);
    assert.equal(status('over-limit'), 0x85);
    assert.equal(status('bad-request'), 0x04);
    assert.equal(status('no-route'), 0x84);
  });
});
