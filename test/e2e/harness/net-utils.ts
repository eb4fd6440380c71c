import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port that was free on `host` a moment ago (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  // The kernel may give a port it gave before once that was closed: a test asking for several ports
  // before it binds them could get the same one twice. So never hand out a port twice.
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await ephemeralPort(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no port on ${host} that this process has not handed out already, after 100 tries`);
}

/** Ports {@link freePort} has given this process. */
const handedOut = new Set<number>();

/** A port the kernel picks for `host`, bound and released at once. */
async function ephemeralPort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on `host:port` right now. */
export async function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until `host:port` accepts connections; rejects after `timeoutMs`. */
export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(host, port))) {
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on ${host}:${port}`);
    await sleep(25);
  }
}

/**
 * A loopback address of its own for one test file, so that files never share listener addresses
 * (any 127.x.y.z works on Linux without set-up). `file` is a small number unique per test file.
 */
export function testAddress(file: number, host = 1): string {
  return `127.${40 + file}.0.${host}`;
}

/** A process of its own holding `host:port`, as another program on the machine would. */
export async function squat(host: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${port}, '${host}', () => console.log('listening'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', code => reject(new Error(`the squatter exited (${code})`)));
  });
  return child;
}
