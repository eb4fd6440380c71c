/**
 * A {@link HelloServer} in a child process of its own, for a server whose work (say, producing
 * gigabytes of replies) must not slow the measuring process. The child entry: starts the server with
 * the options in argv[2], sends its port over IPC, and exits with its parent.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startHelloServer, type HelloServerOptions } from './hello-server.js';
import { runningFromSource } from './repo-root.js';

/** A HelloServer running in a child process. */
export interface HelloServerProcess {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Forks a child running a HelloServer with `options`; resolves once it listens. */
export async function startHelloServerProcess(options: HelloServerOptions): Promise<HelloServerProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: runningFromSource() ? ['--import', 'tsx'] : [],
  });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const [message] = (await once(child, 'message')) as [{ host: string; port: number }];
  return {
    host: message.host,
    port: message.port,
    close: async () => {
      process.off('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// As the child: serve until the parent goes away.
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startHelloServer(JSON.parse(process.argv[2] ?? '{}') as HelloServerOptions);
  process.on('disconnect', () => process.exit(0));
  process.send({ host: server.host, port: server.port });
}
