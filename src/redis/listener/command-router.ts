/**
 * Routes a client's keyed command as Envoy's redis_proxy does: the key's longest matching prefix
 * route (or the catch-all) picks the cluster, the route may strip its prefix from the key, and the
 * command is mirrored to the route's mirror clusters (fire and forget; with `excludeReadCommands`
 * only writes). Faults are drawn first: an ERROR fault answers without going upstream, a DELAY
 * holds the reply.
 *
 * Multi-key commands are split and their replies joined in the client's key order: MGET into GETs,
 * MSET into SETs, DEL/EXISTS/TOUCH/UNLINK into one command per key with the replies summed. On a
 * Redis Cluster the keys of one slot (and route) stay together in one command, as the cluster
 * requires and allows; elsewhere each key goes alone, as in Envoy. A part that fails leaves an
 * error element (MGET) or makes the whole reply `ERR finished with N error(s)` (the others).
 */
import { CommandKind, type CommandSpec } from '../commands.js';
import { keySlot, SLOT_COUNT } from '../key-hash.js';
import type { RespCommand } from '../resp/request-parser.js';
import { isErrorReply, isOkReply, replyInteger, ReplyScanner } from '../resp/reply-scanner.js';
import { arrayHeader, errorReply, integerReply, OK_REPLY } from '../resp/resp-encode.js';
import { DISCARD, type ReplyTarget } from '../upstream/reply-target.js';
import type { ClusterModeCluster } from '../upstream/cluster-mode.js';
import type { RedisUpstreams } from '../upstream/redis-upstreams.js';
import { NO_UPSTREAM_HOST, type RedisUpstreamCluster } from '../upstream/upstream-cluster.js';
import { CommandBuilder, withShortenedArg } from './command-builder.js';
import type { RedisListenerState } from './listener-state.js';
import type { CompiledRoute } from './prefix-router.js';
import type { ReplySlot } from './reply-slot.js';

/** What routing needs from the client connection. */
export interface CommandContext {
  /** The RESP version the client speaks. */
  readonly protocol: 2 | 3;
  readonly upstreams: RedisUpstreams;
}

export const FAULT_ERROR = 'ERR Fault Injected: Error';

const offsets = new Int32Array(2);

/** `ERR wrong number of arguments for 'get' command`, as Redis words it. */
export function wrongArguments(command: string): string {
  return `ERR wrong number of arguments for '${command}' command`;
}

function noRoute(command: RespCommand, keyIndex: number): string {
  return `${NO_UPSTREAM_HOST}: no route for key '${truncate(command.argUtf8(keyIndex))}'`;
}

function unknownCluster(name: string): string {
  return `${NO_UPSTREAM_HOST}: cluster ${name} is not known`;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/**
 * Routes one keyed command into `slot`. Returns false (after filling the slot) when the command is
 * malformed for its kind, so the caller counts an invalid request.
 */
export function routeCommand(
  context: CommandContext,
  slot: ReplySlot,
  command: RespCommand,
  spec: CommandSpec,
  state: RedisListenerState,
): boolean {
  const kind = spec.kind;
  const argc = command.argc;
  if (
    argc < 2 ||
    (kind === CommandKind.Eval && argc < 4) ||
    (kind === CommandKind.MSet && (argc - 1) % 2 !== 0)
  ) {
    slot.fill(errorReply(wrongArguments(spec.name)), true);
    return false;
  }
  if (!state.faults.empty) {
    const fault = state.faults.pick(spec.name);
    if (fault !== undefined) {
      if (fault.delayMs > 0) {
        slot.delayUntil = slot.startTime + fault.delayMs;
        slot.fault = 'delay';
        if (slot.stats !== undefined) slot.stats.delayFault++;
      }
      if (fault.type === 'ERROR') {
        slot.fault = 'error';
        if (slot.stats !== undefined) slot.stats.errorFault++;
        slot.fill(errorReply(FAULT_ERROR), true);
        return true;
      }
    }
  }
  if (kind === CommandKind.SingleKey || kind === CommandKind.Eval) {
    routeSingle(context, slot, command, spec, state, kind === CommandKind.Eval ? 3 : 1);
  } else {
    routeSplit(context, slot, command, spec, state);
  }
  return true;
}

function routeSingle(
  context: CommandContext,
  slot: ReplySlot,
  command: RespCommand,
  spec: CommandSpec,
  state: RedisListenerState,
  keyIndex: number,
): void {
  // The command's bytes in the buffer they were read into: no view per command.
  let raw = command.buf;
  let rawStart = command.start;
  let rawEnd = command.end;
  let keyStart = command.starts[keyIndex]!;
  let keyEnd = command.ends[keyIndex]!;
  const route = state.router.match(raw, keyStart, keyEnd);
  if (route === undefined) {
    slot.onFailure(noRoute(command, keyIndex));
    return;
  }
  const resource = route.resource;
  const cluster = context.upstreams.get(resource.cluster);
  slot.cluster = resource.cluster;
  slot.raw = raw;
  slot.keyStart = keyStart;
  slot.keyEnd = keyEnd;
  if (cluster === undefined) {
    slot.onFailure(unknownCluster(resource.cluster));
    return;
  }
  if (resource.removePrefix && route.prefix.length > 0) {
    raw = withShortenedArg(command, keyIndex, route.prefix.length, offsets);
    rawStart = 0;
    rawEnd = raw.length;
    keyStart = offsets[0]!;
    keyEnd = offsets[1]!;
  }
  const read = !spec.write;
  const options = state.sendOptions;
  cluster.send(raw, rawStart, rawEnd, keyStart, keyEnd, slot, 0, context.protocol, read, options, spec.name);
  if (resource.mirrors.length > 0)
    mirror(context, route, raw, rawStart, rawEnd, keyStart, keyEnd, spec, state);
}

function mirror(
  context: CommandContext,
  route: CompiledRoute,
  raw: Buffer,
  rawStart: number,
  rawEnd: number,
  keyStart: number,
  keyEnd: number,
  spec: CommandSpec,
  state: RedisListenerState,
): void {
  for (const policy of route.resource.mirrors) {
    if (policy.excludeReadCommands && !spec.write) continue;
    if (policy.percent < 100 && !(Math.random() * 100 < policy.percent)) continue;
    const cluster = context.upstreams.get(policy.cluster);
    if (cluster === undefined) continue;
    cluster.send(
      raw,
      rawStart,
      rawEnd,
      keyStart,
      keyEnd,
      DISCARD,
      0,
      context.protocol,
      !spec.write,
      state.sendOptions,
      spec.name,
    );
  }
}

/** One part of a split command: the keys (by position in the client's command) going together. */
interface Part {
  readonly route: CompiledRoute;
  readonly cluster: RedisUpstreamCluster;
  /** Positions of the keys in the client's key list. */
  readonly positions: number[];
  /** Their slot, on a Redis Cluster; -1 elsewhere. */
  readonly slot: number;
}

function routeSplit(
  context: CommandContext,
  slot: ReplySlot,
  command: RespCommand,
  spec: CommandSpec,
  state: RedisListenerState,
): void {
  const kind = spec.kind;
  const step = kind === CommandKind.MSet ? 2 : 1;
  const keyCount = (command.argc - 1) / step;
  const raw = command.buf;
  const fanOut = new FanOut(slot, kind, keyCount);
  const parts: Part[] = [];
  const together = new Map<number, Part>();
  slot.raw = raw;
  slot.keyStart = command.starts[1]!;
  slot.keyEnd = command.ends[1]!;
  for (let k = 0; k < keyCount; k++) {
    const argIndex = 1 + k * step;
    const start = command.starts[argIndex]!;
    const end = command.ends[argIndex]!;
    const route = state.router.match(raw, start, end);
    if (route === undefined) {
      fanOut.failKey(k, noRoute(command, argIndex));
      continue;
    }
    const cluster = context.upstreams.get(route.resource.cluster);
    if (cluster === undefined) {
      fanOut.failKey(k, unknownCluster(route.resource.cluster));
      continue;
    }
    if (slot.cluster === '') slot.cluster = route.resource.cluster;
    if (cluster.mode === 'cluster') {
      const cut = route.resource.removePrefix ? route.prefix.length : 0;
      const keySlotOf = keySlot(raw, start + cut, end);
      const groupKey = route.index * SLOT_COUNT + keySlotOf;
      const existing = together.get(groupKey);
      if (existing !== undefined && existing.cluster === cluster) {
        existing.positions.push(k);
        continue;
      }
      const part: Part = { route, cluster, positions: [k], slot: keySlotOf };
      together.set(groupKey, part);
      parts.push(part);
    } else {
      parts.push({ route, cluster, positions: [k], slot: -1 });
    }
  }
  fanOut.expect(parts);
  const read = !spec.write;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    const cut = part.route.resource.removePrefix ? part.route.prefix.length : 0;
    const builder = new CommandBuilder(subcommandName(kind, spec, part.positions.length));
    for (const k of part.positions) {
      const argIndex = 1 + k * step;
      builder.arg(raw, command.starts[argIndex]! + cut, command.ends[argIndex]!, true);
      if (step === 2) builder.arg(raw, command.starts[argIndex + 1]!, command.ends[argIndex + 1]!, false);
    }
    const sub = builder.finish();
    const keyStart = builder.keyStarts[0]!;
    const keyEnd = builder.keyEnds[0]!;
    if (part.slot >= 0) {
      (part.cluster as ClusterModeCluster).sendToSlot(
        sub,
        0,
        sub.length,
        part.slot,
        fanOut,
        p,
        context.protocol,
        read,
        state.sendOptions,
        spec.name,
      );
    } else {
      part.cluster.send(
        sub,
        0,
        sub.length,
        keyStart,
        keyEnd,
        fanOut,
        p,
        context.protocol,
        read,
        state.sendOptions,
        spec.name,
      );
    }
    if (part.route.resource.mirrors.length > 0)
      mirror(context, part.route, sub, 0, sub.length, keyStart, keyEnd, spec, state);
  }
}

const NAMES = {
  get: Buffer.from('GET'),
  mget: Buffer.from('MGET'),
  set: Buffer.from('SET'),
  mset: Buffer.from('MSET'),
} as const;
const SUM_NAMES = new Map<string, Buffer>(
  ['del', 'exists', 'touch', 'unlink'].map(n => [n, Buffer.from(n.toUpperCase())]),
);

function subcommandName(kind: CommandKind, spec: CommandSpec, keys: number): Buffer {
  if (kind === CommandKind.MGet) return keys === 1 ? NAMES.get : NAMES.mget;
  if (kind === CommandKind.MSet) return keys === 1 ? NAMES.set : NAMES.mset;
  return SUM_NAMES.get(spec.name) ?? Buffer.from(spec.name.toUpperCase());
}

/** Collects the replies of a split command's parts and fills the client's slot with the joined reply. */
class FanOut implements ReplyTarget {
  private parts: readonly Part[] = [];
  private remaining = 0;
  private errors = 0;
  private sum = 0;
  /** MGET: the reply element of each key. */
  private readonly elements: Buffer[];
  private started = false;

  constructor(
    private readonly slot: ReplySlot,
    private readonly kind: CommandKind,
    private readonly keyCount: number,
  ) {
    this.elements = kind === CommandKind.MGet ? new Array<Buffer>(keyCount) : [];
  }

  /** A key that cannot be routed: its part failed before being sent. */
  failKey(position: number, message: string): void {
    this.errors++;
    if (this.kind === CommandKind.MGet) this.elements[position] = errorReply(message);
  }

  /** The parts sent; replies are awaited for each. */
  expect(parts: readonly Part[]): void {
    this.parts = parts;
    this.remaining = parts.length;
    this.started = true;
    if (parts.length === 0) this.finish();
  }

  onReply(buf: Buffer, start: number, end: number, index: number): void {
    const part = this.parts[index]!;
    switch (this.kind) {
      case CommandKind.MGet:
        this.joinMget(part, buf, start, end);
        break;
      case CommandKind.MSet:
        if (!isOkReply(buf, start, end)) this.errors++;
        break;
      default: {
        const n = replyInteger(buf, start, end);
        if (n === undefined) this.errors++;
        else this.sum += n;
      }
    }
    if (--this.remaining === 0 && this.started) this.finish();
  }

  onFailure(message: string, index: number): void {
    const part = this.parts[index]!;
    if (this.kind === CommandKind.MGet) {
      const error = errorReply(message);
      for (const k of part.positions) this.elements[k] = error;
      this.errors += part.positions.length;
    } else {
      this.errors++;
    }
    if (--this.remaining === 0 && this.started) this.finish();
  }

  private joinMget(part: Part, buf: Buffer, start: number, end: number): void {
    const positions = part.positions;
    if (positions.length === 1) {
      this.elements[positions[0]!] = buf.subarray(start, end);
      if (isErrorReply(buf, start)) this.errors++;
      return;
    }
    // An MGET part: its array's elements, in its keys' order.
    if (buf[start] !== 42) {
      const element = isErrorReply(buf, start)
        ? buf.subarray(start, end)
        : errorReply('ERR upstream protocol error');
      for (const k of positions) this.elements[k] = element;
      this.errors += positions.length;
      return;
    }
    let p = buf.indexOf(10, start) + 1;
    const scanner = new ReplyScanner();
    for (const k of positions) {
      const elementEnd = p < end ? scanner.scan(buf, p, end) : -1;
      if (elementEnd < 0) {
        this.elements[k] = errorReply('ERR upstream protocol error');
        this.errors++;
        continue;
      }
      this.elements[k] = buf.subarray(p, elementEnd);
      if (isErrorReply(buf, p)) this.errors++;
      p = elementEnd;
    }
  }

  private finish(): void {
    const slot = this.slot;
    switch (this.kind) {
      case CommandKind.MGet:
        slot.fill([arrayHeader(this.keyCount), ...this.elements], this.errors > 0);
        return;
      case CommandKind.MSet:
        slot.fill(
          this.errors === 0 ? OK_REPLY : errorReply(`ERR finished with ${this.errors} error(s)`),
          this.errors > 0,
        );
        return;
      default:
        slot.fill(
          this.errors === 0
            ? integerReply(this.sum)
            : errorReply(`ERR finished with ${this.errors} error(s)`),
          this.errors > 0,
        );
    }
  }
}
