import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stdout, one object per line. `AERAKI_LOG_LEVEL` (or `--log-level`) sets
 * the level: trace, debug, info (default), warn, error.
 */
export function createLogger(level = process.env['AERAKI_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
