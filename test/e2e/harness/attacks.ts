/**
 * Hostile or merely broken clients, for the overload tests and `npm run bench:overload`: a flood of
 * calls, clients that never read their replies, frames that stop short, connections that idle. Each
 * attack runs on loopback, and stops by itself (its sockets destroyed) when `stop()` is called or its
 * duration has passed.
 *
 * {@link runAttack} runs one in a child process of its own, so that the attacker's CPU never slows the
 * measuring process (its control client, its servers); the `start…` functions run one in this process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningFromSource } from './repo-root.js';
import { blobCall, partialEchoCall, sayHelloCall } from './thrift-frames.js';

/** A running attack. */
export interface Attack {
  /** Connections the proxy closed (or reset) so far. */
  readonly closedByPeer: number;
  /** Connections still open. */
  readonly open: number;
  /** Destroys every socket of the attack. */
  stop(): void;
}

class SocketGroup implements Attack {
  closedByPeer = 0;
  private readonly sockets = new Set<net.Socket>();
  private stopped = false;

  get open(): number {
    return this.sockets.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Connects one socket; `undefined` if the attack was stopped or the connection failed. */
  async connect(host: string, port: number): Promise<net.Socket | undefined> {
    if (this.stopped) return undefined;
    const socket = net.connect({ host, port });
    socket.on('error', () => {});
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (!this.stopped) this.closedByPeer++;
    });
    try {
      await Promise.race([once(socket, 'connect'), once(socket, 'close')]);
    } catch {
      return undefined;
    }
    return socket.destroyed ? undefined : socket;
  }

  stop(): void {
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

/** Connects `n` sockets, `batch` at a time (a listen backlog is finite). */
async function connectMany(
  group: SocketGroup,
  host: string,
  port: number,
  n: number,
  batch = 200,
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n && !group.isStopped; i += batch) {
    const connected = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () => group.connect(host, port)),
    );
    for (const s of connected) if (s !== undefined) sockets.push(s);
  }
  return sockets;
}

/**
 * `connections` clients each writing `frame` over and over as fast as their sockets take it, and
 * reading (and dropping) whatever comes back, for `durationMs`.
 */
export async function startFlood(options: {
  host: string;
  port: number;
  connections: number;
  /** One call; it is repeated to fill 64 KiB writes. */
  frame: Buffer;
  durationMs: number;
}): Promise<Attack & { readonly bytesSent: number }> {
  const group = new SocketGroup();
  const batch = Buffer.concat(
    Array.from({ length: Math.max(1, Math.floor(65536 / options.frame.length)) }, () => options.frame),
  );
  let bytesSent = 0;
  const sockets = await connectMany(group, options.host, options.port, options.connections);
  for (const socket of sockets) {
    socket.on('data', () => {});
    const pump = (): void => {
      while (!group.isStopped && !socket.destroyed) {
        bytesSent += batch.length;
        if (!socket.write(batch)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }
  const timer = setTimeout(() => group.stop(), options.durationMs);
  timer.unref();
  return {
    get closedByPeer() {
      return group.closedByPeer;
    },
    get open() {
      return group.open;
    },
    get bytesSent() {
      return bytesSent;
    },
    stop: () => {
      clearTimeout(timer);
      group.stop();
    },
  };
}

/**
 * `clients` connections that each write `requests` calls (`call(seqid)`) at once and never read a
 * byte of the replies.
 */
export async function startSlowReaders(options: {
  host: string;
  port: number;
  clients: number;
  requests: number;
  call: (seqid: number) => Buffer;
}): Promise<Attack> {
  const group = new SocketGroup();
  const sockets = await connectMany(group, options.host, options.port, options.clients);
  for (const socket of sockets) {
    socket.pause();
    const calls = Array.from({ length: options.requests }, (_, i) => options.call(i + 1));
    socket.write(Buffer.concat(calls));
  }
  return group;
}

/**
 * `connections` clients that each write the same `prefix` (the start of a frame that declares more)
 * and then stall without closing.
 */
export async function startStalledWriters(options: {
  host: string;
  port: number;
  connections: number;
  prefix: Buffer;
}): Promise<Attack> {
  const group = new SocketGroup();
  const sockets = await connectMany(group, options.host, options.port, options.connections, 100);
  for (const socket of sockets) {
    // Reading (and dropping) what comes back is how a closed connection is noticed.
    socket.resume();
    socket.write(options.prefix);
  }
  return group;
}

/** `connections` clients that connect and then send nothing. */
export async function startIdleConnections(options: {
  host: string;
  port: number;
  connections: number;
}): Promise<Attack> {
  const group = new SocketGroup();
  for (const socket of await connectMany(group, options.host, options.port, options.connections))
    socket.resume();
  return group;
}

/** An attack as data, to run in a child process ({@link runAttack}). */
export type AttackSpec = { readonly host: string; readonly port: number } & (
  | {
      /** Framed sayHello calls written as fast as the proxy takes them. */
      readonly kind: 'flood';
      readonly connections: number;
      readonly durationMs: number;
    }
  | {
      /** Clients each writing `requests` blob(blobBytes) calls and never reading. */
      readonly kind: 'slow-readers';
      readonly clients: number;
      readonly requests: number;
      readonly blobBytes: number;
    }
  | {
      /** Connections each writing the first `sentBytes` of a frame declaring `declaredBytes`, then stalling. */
      readonly kind: 'stalled-writers';
      readonly connections: number;
      readonly declaredBytes: number;
      readonly sentBytes: number;
    }
  | {
      /** Connections that send nothing. */
      readonly kind: 'idle';
      readonly connections: number;
    }
);

/** What an attack saw of the proxy. */
export interface AttackCounts {
  /** Connections the proxy closed (or reset). */
  readonly closedByPeer: number;
  /** Connections still open. */
  readonly open: number;
}

/** Starts the attack `spec` in this process. */
export async function startAttack(spec: AttackSpec): Promise<Attack> {
  switch (spec.kind) {
    case 'flood':
      return startFlood({ ...spec, frame: sayHelloCall(1, 'flood') });
    case 'slow-readers':
      return startSlowReaders({ ...spec, call: seqid => blobCall(seqid, spec.blobBytes) });
    case 'stalled-writers':
      return startStalledWriters({ ...spec, prefix: partialEchoCall(spec.declaredBytes, spec.sentBytes) });
    case 'idle':
      return startIdleConnections(spec);
  }
}

/** An attack running in a child process. */
export class AttackProcess {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks a child running `spec`; resolves once every connection of it is set up. */
  static async start(spec: AttackSpec): Promise<AttackProcess> {
    const entry = fileURLToPath(
      new URL(`./attack-process.${runningFromSource() ? 'ts' : 'js'}`, import.meta.url),
    );
    const child = fork(entry, [JSON.stringify(spec)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: runningFromSource() ? ['--import', 'tsx'] : [],
    });
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', kill);
    child.once('exit', () => process.off('exit', kill));
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the attack process exited with ${String(code)} before it was ready`);
      }),
    ])) as [{ type: string }];
    if (message.type !== 'ready')
      throw new Error(`unexpected message from the attack process: ${message.type}`);
    return new AttackProcess(child);
  }

  /** The counts now. */
  async counts(): Promise<AttackCounts> {
    this.child.send('counts');
    const [message] = (await once(this.child, 'message')) as [AttackCounts & { type: string }];
    return { closedByPeer: message.closedByPeer, open: message.open };
  }

  /** Stops the attack (its sockets destroyed, its process gone) and returns the last counts. */
  async stop(): Promise<AttackCounts> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return { closedByPeer: 0, open: 0 };
    const counts = await this.counts();
    const exited = once(this.child, 'exit');
    this.child.send('stop');
    await exited;
    return counts;
  }

  /** Waits until the proxy has closed every connection of the attack; rejects after `timeoutMs`. */
  async waitAllClosed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { open } = await this.counts();
      if (open === 0) return;
      if (Date.now() > deadline) throw new Error(`${open} attack connections still open`);
      await sleep(100);
    }
  }
}
