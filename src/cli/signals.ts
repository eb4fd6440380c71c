/** How long a stopping proxy lets its connections finish the requests in flight. */
export const DRAIN_MS = 2000;

/**
 * Once shutting down has had this long beyond the drain, the process exits whatever still holds it
 * (a peer that never closes its socket, an upstream that never answers).
 */
const EXIT_MARGIN_MS = 1000;

/**
 * Resolves with the name of the first SIGINT or SIGTERM received. From then on the process exits at
 * the latest `drainMs` + 1 s later, even if shutting down has not finished; a second signal ends it at
 * once (Node's default action, the handlers being gone).
 */
export function untilSignal(drainMs = DRAIN_MS): Promise<string> {
  return new Promise(resolve => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // unref: a shutdown that finishes in time exits on its own, sooner.
      setTimeout(exitNow, drainMs + EXIT_MARGIN_MS).unref();
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function exitNow(): void {
  process.exit(process.exitCode ?? 0);
}
