/**
 * `aeraki tap SERVICE`: watches the requests a running proxy handles for one service, live, without
 * stopping or slowing traffic — one line per finished request: its attributes, the route and
 * endpoint it took, and how it ended.
 */
import { AerakiError, ErrorCodes } from '../errors.js';
import type { RequestRecord } from '../proxy/request-record.js';
import type { RedisCommandRecord } from '../redis/listener/redis-listener.js';
import { adminUnreachable } from './admin-client.js';
import { parseCommandArgs } from './args.js';
import { style, useColor } from './table.js';

const USAGE = `Usage: aeraki tap SERVICE [options]

Streams the requests the running proxy finishes for SERVICE (a ServiceEntry host, HOST:PORT, or a
route table name HOST_PORT) as they happen: time, request id, operation, route, endpoint, outcome
and duration (for a Redis service: each command, its key, cluster, outcome and duration; filter with
--attr command=GET or --attr key=KEY). Traffic is not stopped. Ends after --count requests, after
--duration, or on Ctrl-C.

Options:
  --attr KEY=VALUE    only requests whose attribute KEY is exactly VALUE (repeat for several)
  --listener NAME     tap one listener (<address>_<port>) instead of a service
  --count N           stop after N requests (default: no limit)
  --duration SECONDS  stop after that long (default: no limit)
  --admin HOST:PORT   the proxy's admin API (default 127.0.0.1:15000)
  --json              one JSON record per line, with every attribute of request and response
  -h, --help          show this help
`;

export async function tapCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      attr: { type: 'string', multiple: true, default: [] },
      listener: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      admin: { type: 'string', default: '127.0.0.1:15000' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const query = new URLSearchParams();
  if (values.listener !== undefined) {
    if (positionals.length > 0)
      throw new AerakiError(ErrorCodes.CLI_USAGE, `give SERVICE or --listener, not both`);
    query.set('listener', values.listener);
  } else if (positionals.length === 1) {
    query.set('service', positionals[0]!);
  } else {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `expected one SERVICE (or --listener NAME)\n\n${USAGE}`);
  }
  for (const attr of values.attr) {
    if (attr.indexOf('=') <= 0)
      throw new AerakiError(ErrorCodes.CLI_USAGE, `--attr must look like KEY=VALUE, got '${attr}'`);
    query.append('attr', attr);
  }
  const count = values.count === undefined ? 0 : Number(values.count);
  if (!Number.isInteger(count) || count < 0) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--count must be a whole number, got '${values.count}'`);
  }
  if (count > 0) query.set('limit', String(count));
  const durationMs = values.duration === undefined ? undefined : Number(values.duration) * 1000;
  if (durationMs !== undefined && !(durationMs > 0)) {
    throw new AerakiError(ErrorCodes.CLI_USAGE, `--duration must be a positive number of seconds`);
  }

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  const timer = durationMs === undefined ? undefined : setTimeout(onSignal, durationMs);
  try {
    await streamTap(values.admin, query, stop.signal, values.json, useColor(process.stdout));
  } finally {
    process.off('SIGINT', onSignal);
    if (timer !== undefined) clearTimeout(timer);
  }
  return 0;
}

async function streamTap(
  admin: string,
  query: URLSearchParams,
  signal: AbortSignal,
  json: boolean,
  color: boolean,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`http://${admin}/tap?${query.toString()}`, { signal });
  } catch (err) {
    if (signal.aborted) return;
    throw adminUnreachable(admin, 'proxy', err);
  }
  if (response.status !== 200 || response.body === null) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; listeners?: string[] };
    const known = body.listeners === undefined ? '' : `; listeners: ${body.listeners.join(', ') || 'none'}`;
    throw new AerakiError(
      response.status === 400 ? ErrorCodes.CLI_USAGE : ErrorCodes.NOT_FOUND,
      `${body.error ?? `the proxy admin API answered ${response.status}`}${known}`,
    );
  }
  const decoder = new TextDecoder();
  let partial = '';
  try {
    for await (const chunk of response.body) {
      partial += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        if (line !== '') printLine(line, json, color);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

function printLine(line: string, json: boolean, color: boolean): void {
  const parsed = JSON.parse(line) as RequestRecord | RedisCommandRecord | { tapping: string[] };
  if ('tapping' in parsed) {
    process.stderr.write(`tapping ${parsed.tapping.join(', ')} (Ctrl-C to stop)\n`);
    return;
  }
  if (json) process.stdout.write(`${line}\n`);
  else if ('requestId' in parsed) process.stdout.write(`${formatRecord(parsed, color)}\n`);
  else process.stdout.write(`${formatRedisRecord(parsed, color)}\n`);
}

/** One finished request on one line, for people. */
export function formatRecord(record: RequestRecord, color: boolean): string {
  const time = record.startTime.slice(11, 23);
  const operation = record.operation !== '' ? record.operation : (record.request['method'] ?? '?');
  const where =
    record.cluster === ''
      ? '-'
      : `${record.route || '-'} → ${record.cluster}${record.upstreamHost === '' ? '' : ` (${record.upstreamHost})`}`;
  let outcome: string;
  switch (record.outcome) {
    case 'response':
      outcome =
        record.responseStatus === 'ok' ? style('ok', 'good', color) : style('error reply', 'bad', color);
      break;
    case 'local-reply':
      outcome = style(
        `${record.localReply?.kind ?? 'local reply'}: ${record.localReply?.message ?? ''}`,
        'bad',
        color,
      );
      break;
    default:
      outcome = record.outcome;
  }
  return `${time}  #${record.requestId}  ${record.listener}  ${operation}  ${where}  ${outcome}  ${record.durationMs} ms`;
}

/** One finished Redis command on one line, for people. */
export function formatRedisRecord(record: RedisCommandRecord, color: boolean): string {
  const time = record.startTime.slice(11, 23);
  const outcome =
    record.status === 'ok' ? style('ok', 'good', color) : style(`error: ${record.error ?? ''}`, 'bad', color);
  const fault = record.fault === undefined ? '' : `  (${record.fault} fault)`;
  return `${time}  ${record.listener}  ${record.client}  ${record.command.toUpperCase()} ${record.key ?? ''}  → ${record.cluster ?? '-'}  ${outcome}${fault}  ${record.durationMs} ms`;
}
