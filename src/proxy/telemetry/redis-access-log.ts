/**
 * The access log of the Redis listeners: one JSON line per command, in the same file as the
 * MetaProtocol access log (`--access-log`): time, listener, client, command, first key, cluster,
 * duration, status, error text, injected fault, request and response bytes. Lines are built and
 * appended on the proxy's thread in large writes (BatchedLineWriter; whole lines only, so they never
 * interleave with the other log's); `successSamplingPercent` samples successful commands, errors are
 * always logged. Keys are logged as they are (they are not credentials); AUTH's arguments never are.
 */
import { closeSync } from 'node:fs';
import type { RedisCommandObserver, RedisCommandRecord } from '../../redis/listener/redis-listener.js';
import { BatchedLineWriter, openLogFile } from './batched-line-writer.js';

export interface RedisAccessLogOptions {
  /** A file path, or `-` for standard output. */
  readonly path: string;
  /** Share of successful commands logged, 0-100 (default 100); failed ones are always logged. */
  readonly successSamplingPercent?: number;
  readonly onError?: (err: Error) => void;
}

export class RedisAccessLog implements RedisCommandObserver {
  private readonly fd: number;
  private readonly writer: BatchedLineWriter;
  private readonly successShare: number;
  private closed = false;

  constructor(options: RedisAccessLogOptions) {
    this.fd = openLogFile(options.path);
    this.writer = new BatchedLineWriter(this.fd, options.path, options.onError);
    this.successShare = (options.successSamplingPercent ?? 100) / 100;
  }

  wants(): boolean {
    return !this.closed;
  }

  publish(record: RedisCommandRecord): void {
    if (this.closed) return;
    if (record.status === 'ok' && this.successShare < 1 && !(Math.random() < this.successShare)) return;
    this.writer.text(JSON.stringify({ protocol: 'redis', ...record }));
    this.writer.endLine();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    if (this.fd !== 1) closeSync(this.fd);
  }
}
