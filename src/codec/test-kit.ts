/**
 * The codec test kit: a conformance harness that protocol authors run against their codec with a few
 * fixtures (real frames of their protocol) to check the codec contract under every way bytes can
 * arrive. Use it from node:test:
 *
 * ```ts
 * import { test } from 'node:test';
 * import { runCodecTestKit } from 'aeraki/codec';
 *
 * runCodecTestKit(myCodecFactory, [
 *   { name: 'call', bytes: callFrame, expect: [{ type: 'request', requestId: 7, metadata: { method: 'echo' } }] },
 * ], { test });
 * ```
 *
 * or call {@link checkCodec} and inspect the failures it returns.
 */
import { CodecError } from '../errors.js';
import { ByteQueue } from './byte-queue.js';
import type { Codec, CodecFactory, CodecSide, LocalReplyKind } from './codec.js';
import type { Message, MessageType, Mutation, ResponseStatus } from './message.js';
import { isNormalRequestId, normalizeRequestId, type RequestId } from './request-id.js';

/** What one decoded message of a fixture must look like. Absent fields are not checked. */
export interface ExpectedMessage {
  readonly type: MessageType;
  /** A number, or a bigint for an id beyond 2^53 − 1 either side of 0 (`5n` and `5` are the same id). */
  readonly requestId?: RequestId;
  readonly status?: ResponseStatus;
  readonly operation?: string;
  /** Attributes the message's metadata must have (a subset; keys lower-case). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The length of `message.bytes` (the whole frame). */
  readonly length?: number;
  /** The exact `message.bytes`. */
  readonly bytes?: Buffer;
}

/** Real bytes of a protocol and what a codec must decode from them. */
export interface CodecFixture {
  /** Names the fixture in failures and test names. */
  readonly name: string;
  /**
   * One or more whole frames, back to back. Keep fixtures small (a few KiB): the split and truncated
   * checks decode the fixture once per byte offset (see {@link CodecTestKitOptions.maxBoundaries}).
   */
  readonly bytes: Buffer;
  /** The messages the frames decode to, in order. */
  readonly expect: readonly ExpectedMessage[];
  /** The side the codec decoding the fixture serves; default `downstream`. */
  readonly side?: CodecSide;
  /** The codec config passed to `create`. */
  readonly config?: unknown;
  /**
   * The protocol can carry a mutation in these messages (e.g. Dubbo attachments, THeader headers):
   * the kit then checks that a message encoded with a mutation decodes with the mutation's entries
   * in its metadata. Otherwise it only checks that encoding with a mutation keeps the message intact.
   */
  readonly carriesMutation?: boolean;
}

/** Tuning of the kit; every field has a default. */
export interface CodecTestKitOptions {
  /** Seed of the pseudo-random generator used by the `mutated` and `random` checks. Default 0x5eed. */
  readonly seed?: number;
  /** Random inputs tried by the `random` check. Default 300. */
  readonly randomRuns?: number;
  /** Longest random input, in bytes. Default 256. */
  readonly randomMaxLength?: number;
  /** Mutated copies of each fixture tried by the `mutated` check. Default 100. */
  readonly mutationRuns?: number;
  /**
   * Most split points (and truncation lengths) tried per fixture; beyond that the kit tries frame
   * boundaries, the first and last bytes and an even spread. Default 4096.
   */
  readonly maxBoundaries?: number;
  /**
   * Request ids written by the `request-id` check. Default [1, 300, 70000, 0x7ffffff0]. A codec with
   * wide ids adds ids beyond 2^53 − 1 as bigints (e.g. `2n ** 63n - 1n`, and negative ones if its
   * ids are signed): the check then proves they are written and decoded back exactly.
   */
  readonly requestIds?: readonly RequestId[];
  /** The mutation applied by the `mutation` check. Default { 'x-aeraki-test-kit': 'mutated' }. */
  readonly mutation?: Mutation;
  /** Whether to run the `local-reply` check (decodes local replies with the codec itself). Default true. */
  readonly localReplies?: boolean;
  /** Most failures reported per check and fixture. Default 10. */
  readonly maxFailures?: number;
}

/** Options of {@link runCodecTestKit}: the kit's tuning plus the test registrar. */
export interface CodecTestKitRunOptions extends CodecTestKitOptions {
  /** node:test's `test` (or `it`): the kit registers one test per fixture and check. */
  readonly test: (name: string, fn: () => void) => unknown;
}

/**
 * The checks the kit runs on each fixture:
 * - `whole`: the fixture in one chunk decodes to the expected messages, each consuming exactly its
 *   frame, with `message.bytes` equal to the frame's bytes and its request id in normal form (a safe
 *   integer number, or a bigint beyond 2^53 − 1 either side of 0; see request-id.ts).
 * - `byte-by-byte`: pushed one byte at a time with a decode after each push, a message comes out
 *   exactly when its last byte arrives; before that decode returns `undefined` and consumes nothing.
 * - `split`: the fixture in two chunks, for every split point.
 * - `truncated`: every prefix of the fixture, to a fresh codec: no exception, only the whole frames
 *   it contains come out.
 * - `encode-identity`: `encode(message)` and `encode(message, {})` return the frame's bytes.
 * - `request-id` (when the codec declares request ids): a message encoded with a new request id
 *   decodes with that id and otherwise unchanged, and encoding it back with the old id restores the
 *   original bytes.
 * - `mutation`: a message encoded with a mutation decodes with the same type and id (and, for
 *   fixtures that carry mutations, with the mutation's entries in its metadata).
 * - `local-reply`: each request's local reply decodes (by a fresh upstream codec) as one response or
 *   error with the request's id; one-way requests get none; a reply to no request does not throw.
 * - `mutated`: copies with random bytes changed, in random chunks: only CodecError is thrown, by
 *   decode or encode.
 * And once per codec:
 * - `random`: random bytes (alone, or after the start of a fixture): only CodecError is thrown.
 */
export const CODEC_TEST_KIT_CHECKS = [
  'whole',
  'byte-by-byte',
  'split',
  'truncated',
  'encode-identity',
  'request-id',
  'mutation',
  'local-reply',
  'mutated',
] as const;

/** The name of one per-fixture check; see {@link CODEC_TEST_KIT_CHECKS}. */
export type CodecTestKitCheck = (typeof CODEC_TEST_KIT_CHECKS)[number];

/** One broken rule. */
export interface CodecTestKitFailure {
  /** The fixture's name, or `(random)`. */
  readonly fixture: string;
  readonly check: CodecTestKitCheck | 'random';
  readonly message: string;
}

const DEFAULT_MUTATION: Mutation = new Map([['x-aeraki-test-kit', 'mutated']]);
const LOCAL_REPLY_KINDS: readonly LocalReplyKind[] = ['no-route', 'timeout', 'bad-request'];

interface Settings {
  readonly seed: number;
  readonly randomRuns: number;
  readonly randomMaxLength: number;
  readonly mutationRuns: number;
  readonly maxBoundaries: number;
  readonly requestIds: readonly RequestId[];
  readonly mutation: Mutation;
  readonly localReplies: boolean;
  readonly maxFailures: number;
}

function settingsOf(options: CodecTestKitOptions | undefined): Settings {
  return {
    seed: options?.seed ?? 0x5eed,
    randomRuns: options?.randomRuns ?? 300,
    randomMaxLength: options?.randomMaxLength ?? 256,
    mutationRuns: options?.mutationRuns ?? 100,
    maxBoundaries: options?.maxBoundaries ?? 4096,
    requestIds: (options?.requestIds ?? [1, 300, 70000, 0x7ffffff0]).map(normalizeRequestId),
    mutation: options?.mutation ?? DEFAULT_MUTATION,
    localReplies: options?.localReplies ?? true,
    maxFailures: options?.maxFailures ?? 10,
  };
}

/** A small seeded generator (mulberry32): the same seed gives the same runs. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** An integer in [0, bound). */
  below(bound: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000) * bound);
  }
  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.below(256);
    return out;
  }
}

/** Raised inside the kit to stop a scenario at its first broken rule. */
class KitFailure extends Error {}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Collects failures of one check, up to the limit. */
class Failures {
  readonly list: CodecTestKitFailure[] = [];
  constructor(
    private readonly fixture: string,
    private readonly check: CodecTestKitCheck | 'random',
    private readonly max: number,
  ) {}
  add(message: string): void {
    if (this.list.length < this.max) this.list.push({ fixture: this.fixture, check: this.check, message });
  }
  /** Runs one scenario, recording its first failure or unexpected exception. */
  scenario(label: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      this.add(
        error instanceof KitFailure
          ? `${label}: ${error.message}`
          : `${label}: threw ${describeError(error)}`,
      );
    }
  }
  get full(): boolean {
    return this.list.length >= this.max;
  }
}

function fail(message: string): never {
  throw new KitFailure(message);
}

function mismatch(message: Message, expected: ExpectedMessage, index: number): string | undefined {
  const where = `message ${index}`;
  if (message.type !== expected.type) return `${where}: type ${message.type}, expected ${expected.type}`;
  if (!isNormalRequestId(message.requestId)) return `${where}: ${badIdForm(message.requestId)}`;
  if (expected.requestId !== undefined && message.requestId !== normalizeRequestId(expected.requestId)) {
    return `${where}: requestId ${message.requestId}, expected ${expected.requestId}`;
  }
  if (expected.status !== undefined && message.status !== expected.status) {
    return `${where}: status ${message.status}, expected ${expected.status}`;
  }
  if (expected.operation !== undefined && message.operation !== expected.operation) {
    return `${where}: operation '${message.operation}', expected '${expected.operation}'`;
  }
  for (const [key, value] of Object.entries(expected.metadata ?? {})) {
    const actual = message.metadata.get(key);
    if (actual !== value)
      return `${where}: metadata ${key}=${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`;
  }
  if (expected.length !== undefined && message.bytes.length !== expected.length) {
    return `${where}: ${message.bytes.length} bytes, expected ${expected.length}`;
  }
  if (expected.bytes !== undefined && !message.bytes.equals(expected.bytes))
    return `${where}: bytes differ from expected`;
  return undefined;
}

function badIdForm(id: unknown): string {
  return typeof id === 'bigint'
    ? `requestId ${id}n is a bigint but a safe integer: it must be the number ${id}`
    : `requestId ${String(id)} (${typeof id}) is neither a safe integer nor a bigint beyond 2^53 - 1`;
}

/** Frame ends (offsets just past each frame) found by decoding the whole fixture. */
function frameEnds(factory: CodecFactory, fixture: CodecFixture): number[] {
  const codec = factory.create(fixture.side ?? 'downstream', fixture.config);
  const queue = new ByteQueue();
  queue.push(Buffer.from(fixture.bytes));
  const ends: number[] = [];
  let consumed = 0;
  for (;;) {
    const before = queue.length;
    let message: Message | undefined;
    try {
      message = codec.decode(queue);
    } catch (error) {
      fail(`decoding the whole fixture threw ${describeError(error)} at offset ${consumed}`);
    }
    if (message === undefined) break;
    const used = before - queue.length;
    if (used <= 0) fail('decode returned a message without consuming bytes');
    consumed += used;
    ends.push(consumed);
  }
  if (consumed !== fixture.bytes.length) {
    fail(`decoding the whole fixture left ${fixture.bytes.length - consumed} bytes undecoded`);
  }
  if (ends.length !== fixture.expect.length) {
    fail(`the fixture decodes to ${ends.length} messages, expected ${fixture.expect.length}`);
  }
  return ends;
}

/**
 * Feeds `chunks` (views of a copy of the fixture) to a fresh codec, decoding after each push, and checks
 * that messages come out exactly when their frames complete, never consume a partial frame, and match
 * the fixture's expectations.
 */
function feed(
  factory: CodecFactory,
  fixture: CodecFixture,
  ends: readonly number[],
  chunks: readonly Buffer[],
): void {
  const codec = factory.create(fixture.side ?? 'downstream', fixture.config);
  const queue = new ByteQueue();
  let pushed = 0;
  let consumed = 0;
  let decoded = 0;
  for (const chunk of chunks) {
    queue.push(chunk);
    pushed += chunk.length;
    for (;;) {
      const before = queue.length;
      let message: Message | undefined;
      try {
        message = codec.decode(queue);
      } catch (error) {
        fail(`decode threw ${describeError(error)} after ${pushed} bytes`);
      }
      if (message === undefined) {
        if (queue.length !== before)
          fail(`decode returned undefined but consumed ${before - queue.length} bytes`);
        break;
      }
      const used = before - queue.length;
      const end = ends[decoded];
      if (end === undefined) fail(`decode returned an extra message after ${pushed} bytes`);
      if (consumed + used !== end) {
        fail(`message ${decoded} consumed bytes ${consumed}..${consumed + used}, its frame ends at ${end}`);
      }
      if (!message.bytes.equals(fixture.bytes.subarray(consumed, end))) {
        fail(`message ${decoded}: bytes are not the frame's original bytes`);
      }
      const expected = fixture.expect[decoded];
      const problem = expected === undefined ? undefined : mismatch(message, expected, decoded);
      if (problem !== undefined) fail(problem);
      consumed = end;
      decoded++;
    }
    const complete = ends.filter(end => end <= pushed).length;
    if (decoded !== complete) {
      fail(`after ${pushed} bytes ${decoded} messages came out, but ${complete} frames are complete`);
    }
  }
}

/** Split points (or truncation lengths) in 1..length-1, all of them or a spread that keeps frame edges. */
function boundaries(length: number, ends: readonly number[], max: number): number[] {
  if (length - 1 <= max) return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
  const points = new Set<number>();
  for (let i = 1; i <= 64; i++) points.add(i).add(length - i);
  for (const end of ends) for (let d = -4; d <= 4; d++) points.add(end + d);
  const room = Math.max(1, max - points.size);
  const step = length / room;
  for (let at = 1; at < length; at += step) points.add(Math.floor(at));
  return [...points].filter(p => p >= 1 && p < length).sort((a, b) => a - b);
}

/** Decodes one copy of each frame on its own with a fresh codec. */
function decodeFrame(
  factory: CodecFactory,
  fixture: CodecFixture,
  start: number,
  end: number,
): { codec: Codec; message: Message } {
  const codec = factory.create(fixture.side ?? 'downstream', fixture.config);
  const message = decodeOne(codec, Buffer.from(fixture.bytes.subarray(start, end)), 'the frame');
  return { codec, message };
}

/** Decodes `bytes` as exactly one message. */
function decodeOne(codec: Codec, bytes: Buffer, what: string): Message {
  const queue = new ByteQueue();
  queue.push(bytes);
  let message: Message | undefined;
  try {
    message = codec.decode(queue);
  } catch (error) {
    fail(`decoding ${what} threw ${describeError(error)}`);
  }
  if (message === undefined) fail(`${what} did not decode to a message`);
  if (queue.length !== 0) fail(`${what} left ${queue.length} bytes after one message`);
  if (!isNormalRequestId(message.requestId)) fail(`${what}: ${badIdForm(message.requestId)}`);
  return message;
}

function sameMetadata(a: Message, b: Message): string | undefined {
  const left = JSON.stringify(a.metadata.toJSON());
  const right = JSON.stringify(b.metadata.toJSON());
  return left === right ? undefined : `metadata ${right}, expected ${left}`;
}

type FixtureCheck = (
  factory: CodecFactory,
  fixture: CodecFixture,
  ends: readonly number[],
  settings: Settings,
  failures: Failures,
) => void;

const starts = (ends: readonly number[], i: number): number => (i === 0 ? 0 : ends[i - 1]!);

const CHECKS: Record<CodecTestKitCheck, FixtureCheck> = {
  whole(factory, fixture, ends, _settings, failures) {
    failures.scenario('one chunk', () => feed(factory, fixture, ends, [Buffer.from(fixture.bytes)]));
  },

  'byte-by-byte'(factory, fixture, ends, _settings, failures) {
    const copy = Buffer.from(fixture.bytes);
    const chunks = Array.from({ length: copy.length }, (_, i) => copy.subarray(i, i + 1));
    failures.scenario('one byte per push', () => feed(factory, fixture, ends, chunks));
  },

  split(factory, fixture, ends, settings, failures) {
    for (const at of boundaries(fixture.bytes.length, ends, settings.maxBoundaries)) {
      if (failures.full) return;
      const copy = Buffer.from(fixture.bytes);
      failures.scenario(`split at ${at}`, () =>
        feed(factory, fixture, ends, [copy.subarray(0, at), copy.subarray(at)]),
      );
    }
  },

  truncated(factory, fixture, ends, settings, failures) {
    for (const length of [0, ...boundaries(fixture.bytes.length, ends, settings.maxBoundaries)]) {
      if (failures.full) return;
      const prefix = Buffer.from(fixture.bytes.subarray(0, length));
      failures.scenario(`first ${length} bytes`, () => feed(factory, fixture, ends, [prefix]));
    }
  },

  'encode-identity'(factory, fixture, ends, _settings, failures) {
    ends.forEach((end, i) => {
      failures.scenario(`message ${i}`, () => {
        const original = fixture.bytes.subarray(starts(ends, i), end);
        const { codec, message } = decodeFrame(factory, fixture, starts(ends, i), end);
        if (!codec.encode(message).equals(original)) fail('encode(message) changed the bytes');
        if (!codec.encode(message, {}).equals(original)) fail('encode(message, {}) changed the bytes');
      });
    });
  },

  'request-id'(factory, fixture, ends, settings, failures) {
    if (!factory.capabilities.requestIds) return;
    ends.forEach((end, i) => {
      for (const id of settings.requestIds) {
        failures.scenario(`message ${i}, request id ${id}`, () => {
          const original = fixture.bytes.subarray(starts(ends, i), end);
          const { codec, message } = decodeFrame(factory, fixture, starts(ends, i), end);
          const oldId = message.requestId;
          const type = message.type;
          const rewritten = Buffer.from(codec.encode(message, { requestId: id }));
          const fresh = factory.create(fixture.side ?? 'downstream', fixture.config);
          const again = decodeOne(fresh, rewritten, 'the rewritten message');
          if (again.requestId !== id) fail(`the rewritten message has request id ${again.requestId}`);
          if (again.type !== type) fail(`the rewritten message has type ${again.type}, expected ${type}`);
          const problem = sameMetadata(message, again);
          if (problem !== undefined) fail(`the rewritten message has ${problem}`);
          if (!fresh.encode(again, { requestId: oldId }).equals(original)) {
            fail(`writing back request id ${oldId} does not restore the original bytes`);
          }
        });
      }
    });
  },

  mutation(factory, fixture, ends, settings, failures) {
    ends.forEach((end, i) => {
      failures.scenario(`message ${i}`, () => {
        const { codec, message } = decodeFrame(factory, fixture, starts(ends, i), end);
        const { type, requestId } = message;
        const encoded = Buffer.from(codec.encode(message, { mutation: settings.mutation }));
        const fresh = factory.create(fixture.side ?? 'downstream', fixture.config);
        const again = decodeOne(fresh, encoded, 'the mutated message');
        if (again.type !== type || again.requestId !== requestId) {
          fail(`the mutated message is ${again.type} #${again.requestId}, expected ${type} #${requestId}`);
        }
        if (fixture.carriesMutation !== true) return;
        for (const [key, value] of settings.mutation) {
          const actual = again.metadata.get(key.toLowerCase());
          if (actual !== value)
            fail(
              `the mutated message has ${key}=${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`,
            );
        }
      });
    });
  },

  'local-reply'(factory, fixture, ends, settings, failures) {
    if (!settings.localReplies) return;
    ends.forEach((end, i) => {
      for (const kind of LOCAL_REPLY_KINDS) {
        failures.scenario(`message ${i}, ${kind}`, () => {
          const { codec, message } = decodeFrame(factory, fixture, starts(ends, i), end);
          const reply = codec.encodeLocalReply(message, { kind, message: `test kit: ${kind}` });
          if (message.type === 'oneway') {
            if (reply !== undefined) fail('a one-way request got a local reply');
            return;
          }
          if (message.type !== 'request') return;
          if (reply === undefined || reply.length === 0) fail('a request got no local reply');
          const decoded = decodeOne(
            factory.create('upstream', fixture.config),
            Buffer.from(reply),
            'the local reply',
          );
          if (decoded.type !== 'response' && decoded.type !== 'error')
            fail(`the local reply decodes as ${decoded.type}`);
          if (decoded.requestId !== message.requestId) {
            fail(`the local reply has request id ${decoded.requestId}, expected ${message.requestId}`);
          }
        });
      }
    });
    failures.scenario('reply to no request', () => {
      const codec = factory.create(fixture.side ?? 'downstream', fixture.config);
      const queue = new ByteQueue();
      queue.push(Buffer.from(fixture.bytes));
      for (let i = 0; i < ends.length && codec.decode(queue) !== undefined; i++) {
        // Decoding first lets the codec learn the connection's format, as the proxy's codec would.
      }
      for (const candidate of [codec, factory.create(fixture.side ?? 'downstream', fixture.config)]) {
        const reply = candidate.encodeLocalReply(undefined, { kind: 'bad-request', message: 'test kit' });
        if (reply === undefined) continue;
        const decoded = decodeOne(
          factory.create('upstream', fixture.config),
          Buffer.from(reply),
          'the local reply',
        );
        if (decoded.type !== 'response' && decoded.type !== 'error')
          fail(`the local reply decodes as ${decoded.type}`);
      }
    });
  },

  mutated(factory, fixture, _ends, settings, failures) {
    const random = new Random(settings.seed ^ hash(fixture.name));
    for (let run = 0; run < settings.mutationRuns && !failures.full; run++) {
      const copy = Buffer.from(fixture.bytes);
      const flips = 1 + random.below(3);
      for (let f = 0; f < flips && copy.length > 0; f++) copy[random.below(copy.length)] = random.below(256);
      failures.scenario(`run ${run} (seed ${settings.seed})`, () =>
        survive(factory, fixture.side ?? 'downstream', fixture.config, copy, random),
      );
    }
  },
};

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Feeds `bytes` in random chunks; anything but a CodecError from decode or encode is a failure. */
function survive(
  factory: CodecFactory,
  side: CodecSide,
  config: unknown,
  bytes: Buffer,
  random: Random,
): void {
  const codec = factory.create(side, config);
  const queue = new ByteQueue();
  let at = 0;
  try {
    while (at < bytes.length) {
      const size = 1 + random.below(Math.min(bytes.length - at, 64));
      queue.push(bytes.subarray(at, at + size));
      at += size;
      for (;;) {
        const before = queue.length;
        const message = codec.decode(queue);
        if (message === undefined) {
          if (queue.length !== before) fail('decode returned undefined but consumed bytes');
          break;
        }
        if (queue.length >= before) fail('decode returned a message without consuming bytes');
        codec.encode(message);
        if (factory.capabilities.requestIds) codec.encode(message, { requestId: 7 });
        codec.encode(message, { mutation: DEFAULT_MUTATION });
        codec.encodeLocalReply(message, { kind: 'internal', message: 'test kit' });
      }
    }
  } catch (error) {
    if (error instanceof KitFailure) throw error;
    if (!CodecError.isCodecError(error)) {
      fail(
        `threw a non-codec error on input ${bytes.toString('hex').slice(0, 200)}: ${describeError(error)}`,
      );
    }
  }
}

function checkRandom(
  factory: CodecFactory,
  fixtures: readonly CodecFixture[],
  settings: Settings,
): CodecTestKitFailure[] {
  const failures = new Failures('(random)', 'random', settings.maxFailures);
  const random = new Random(settings.seed);
  for (let run = 0; run < settings.randomRuns && !failures.full; run++) {
    let bytes = random.bytes(random.below(settings.randomMaxLength + 1));
    const fixture = fixtures[run % Math.max(1, fixtures.length)];
    // Every other run starts like a real frame, to reach past the first bytes' checks.
    if (fixture !== undefined && run % 2 === 1) {
      bytes = Buffer.concat([fixture.bytes.subarray(0, random.below(fixture.bytes.length + 1)), bytes]);
    }
    const side: CodecSide = run % 4 < 2 ? 'downstream' : 'upstream';
    failures.scenario(`run ${run} (seed ${settings.seed})`, () =>
      survive(factory, side, fixture?.config, bytes, random),
    );
  }
  return failures.list;
}

/** Runs one check on one fixture. */
function checkFixture(
  factory: CodecFactory,
  fixture: CodecFixture,
  check: CodecTestKitCheck,
  settings: Settings,
): CodecTestKitFailure[] {
  const failures = new Failures(fixture.name, check, settings.maxFailures);
  let ends: number[] | undefined;
  failures.scenario('reference decode', () => {
    ends = frameEnds(factory, fixture);
  });
  if (ends !== undefined) CHECKS[check](factory, fixture, ends, settings, failures);
  return failures.list;
}

/**
 * Runs every check of the kit on `fixtures` and returns the broken rules (empty when the codec
 * conforms). Deterministic for a given seed.
 */
export function checkCodec(
  factory: CodecFactory,
  fixtures: readonly CodecFixture[],
  options?: CodecTestKitOptions,
): CodecTestKitFailure[] {
  const settings = settingsOf(options);
  const failures: CodecTestKitFailure[] = [];
  for (const fixture of fixtures) {
    for (const check of CODEC_TEST_KIT_CHECKS)
      failures.push(...checkFixture(factory, fixture, check, settings));
  }
  failures.push(...checkRandom(factory, fixtures, settings));
  return failures;
}

function assertNone(failures: readonly CodecTestKitFailure[]): void {
  if (failures.length === 0) return;
  throw new Error(
    `${failures.length} codec test kit failure(s):\n` +
      failures.map(f => `  [${f.fixture} / ${f.check}] ${f.message}`).join('\n'),
  );
}

/**
 * Registers the kit's checks as tests with the given registrar (node:test's `test` or `it`): one test
 * per fixture and check, named `<fixture>: <check>`, plus one `random input` test. Each test fails
 * with the list of broken rules.
 */
export function runCodecTestKit(
  factory: CodecFactory,
  fixtures: readonly CodecFixture[],
  options: CodecTestKitRunOptions,
): void {
  const settings = settingsOf(options);
  for (const fixture of fixtures) {
    for (const check of CODEC_TEST_KIT_CHECKS) {
      options.test(`${fixture.name}: ${check}`, () =>
        assertNone(checkFixture(factory, fixture, check, settings)),
      );
    }
  }
  options.test('random input', () => assertNone(checkRandom(factory, fixtures, settings)));
}
