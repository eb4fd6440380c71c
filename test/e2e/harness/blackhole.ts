/**
 * A loopback TCP endpoint where connection attempts hang, as with a crashed host or a dropped SYN:
 * a child process listens with a one-slot backlog and never accepts (its thread sleeps in
 * Atomics.wait, using no CPU); once filler connections fill the accept queue, the kernel drops new
 * SYNs, so a connect neither succeeds nor fails until the connector's own timeout.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';

const CHILD = `
const net = require('node:net');
const server = net.createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  const parent = process.ppid;
  process.stdout.write(server.address().port + '\\n', () => {
    // Sleep without ever returning to the event loop (so nothing is accepted); leave with the parent.
    const cell = new Int32Array(new SharedArrayBuffer(4));
    while (process.ppid === parent) Atomics.wait(cell, 0, 0, 1000);
    process.exit(0);
  });
});
`;

export interface Blackhole {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

async function connectsWithin(port: number, ms: number, fillers: net.Socket[]): Promise<boolean> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const connected = await Promise.race([
    once(socket, 'connect').then(() => true),
    new Promise<boolean>(resolve => setTimeout(() => resolve(false), ms)),
  ]);
  if (connected) fillers.push(socket);
  else socket.destroy();
  return connected;
}

/** Starts a blackhole endpoint; `close()` stops its process by PID. */
export async function startBlackhole(): Promise<Blackhole> {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const fillers: net.Socket[] = [];
  const close = async (): Promise<void> => {
    for (const s of fillers) s.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      kill();
      await exited;
    }
    process.off('exit', kill);
  };
  try {
    const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
    const port = Number(line.trim());
    // Fill the accept queue (the kernel completes handshakes for up to backlog + 1 connections).
    for (let i = 0; i < 16 && (await connectsWithin(port, 300, fillers)); i++);
    if (fillers.length >= 16) throw new Error('the blackhole keeps accepting connections');
    return { host: '127.0.0.1', port, close };
  } catch (err) {
    await close();
    throw err;
  }
}
