/** Resolves with the name of the first SIGINT or SIGTERM received. */
export function untilSignal(): Promise<string> {
  return new Promise(resolve => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
