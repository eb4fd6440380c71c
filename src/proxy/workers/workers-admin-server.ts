import { get, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { admitRead, sendJson, sendText } from '../../net/http-admin.js';
import { redactSecrets } from '../../xds/redact-secrets.js';
import { AdminHttpServer } from '../admin-http-server.js';
import { xdsUpdateSamples } from '../telemetry/prometheus.js';
import type { WorkerPool } from './worker-pool.js';
import {
  combineStateMetrics,
  sumPrometheusText,
  sumWorkerJson,
  type JsonMetric,
} from './worker-stats-merge.js';

/** Values that are settings, the same in every worker: taken from the first, never added up. */
const SETTINGS = new Set(['circuitBreakers', 'outlierDetection', 'labels', 'rejected', 'limits']);

interface WorkerAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * The admin API of a proxy with workers, on the address users give with `--admin`: the same paths
 * and answers as a proxy of one process ({@link AdminServer}), for the whole proxy. Each worker runs
 * its own admin API on a loopback port; this one asks them and adds up: `/stats/prometheus` and
 * `/stats` sum every worker's counters, `/clusters` and `/listeners` sum their counts and
 * connections, `/tap` streams the requests all workers finish. `/config_dump`, `/routes` and `/xds`
 * come from the primary, which holds the config and the xDS connection; `/explain` asks one worker.
 * `/workers` lists the worker processes.
 */
export class WorkersAdminServer extends AdminHttpServer {
  constructor(private readonly pool: WorkerPool) {
    super();
  }

  protected handle(req: IncomingMessage, res: ServerResponse): void {
    if (!admitRead(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://admin');
    const pool = this.pool;
    switch (url.pathname) {
      case '/ready': {
        const ready = pool.current !== undefined && pool.workers().every(w => w.ready);
        return sendText(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
      }
      case '/config_dump':
        return sendJson(res, redactSecrets(pool.current ?? null));
      case '/routes':
        return sendJson(res, pool.current?.routes ?? []);
      case '/xds':
        return sendJson(res, this.xdsStatus?.() ?? null);
      case '/workers':
        return sendJson(res, pool.workers());
      case '/stats/prometheus':
        return this.gather(url, res, answers =>
          answer(
            res,
            answers[0]!.contentType,
            sumPrometheusText(
              answers.map(a => a.body),
              this.ownSamples(),
            ),
          ),
        );
      case '/stats':
        return this.gather(url, res, answers => {
          const own = this.ownSamples();
          const docs = answers.map(a => JSON.parse(a.body) as JsonMetric[]);
          const metrics = sumWorkerJson(docs, SETTINGS) as JsonMetric[];
          combineStateMetrics(metrics, docs);
          for (const metric of metrics) {
            const value = own.get(metric.name);
            if (value !== undefined && metric.values[0] !== undefined) metric.values[0].value = value;
          }
          sendJson(res, metrics);
        });
      case '/clusters':
      case '/listeners':
        return this.gather(url, res, answers =>
          sendJson(
            res,
            sumWorkerJson(
              answers.map(a => JSON.parse(a.body) as unknown),
              SETTINGS,
            ),
          ),
        );
      case '/tap':
        return this.tap(url, res);
      default:
        // /explain and anything else: every worker runs the same config; the first one answers.
        return this.gather(url, res, answers => answer(res, answers[0]!.contentType, answers[0]!.body), 1);
    }
  }

  /** Samples that are the primary's own: the xDS update counters. */
  private ownSamples(): Map<string, number> {
    return this.xdsUpdates === undefined ? new Map() : xdsUpdateSamples(this.xdsUpdates());
  }

  /** Asks the workers (up to `limit`) for `url`; a failure or non-200 answer is passed on as it is. */
  private gather(
    url: URL,
    res: ServerResponse,
    combine: (answers: WorkerAnswer[]) => void,
    limit = Infinity,
  ): void {
    const ports = this.pool.adminPorts().slice(0, limit);
    if (ports.length === 0) return sendText(res, 503, 'no proxy worker is running\n');
    Promise.all(ports.map(port => fetchWorker(port, url.pathname + url.search))).then(
      answers => {
        const failed = answers.find(a => a.status !== 200);
        if (failed !== undefined) return answer(res, failed.contentType, failed.body, failed.status);
        combine(answers);
      },
      (err: unknown) => sendText(res, 502, `a proxy worker did not answer: ${String(err)}\n`),
    );
  }

  /** One NDJSON stream of the requests every worker's tap sees, ending after `limit` records. */
  private tap(url: URL, res: ServerResponse): void {
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const ports = this.pool.adminPorts();
    if (ports.length === 0) return sendText(res, 503, 'no proxy worker is running\n');
    const requests: ClientRequest[] = [];
    let started = false;
    let announced = false;
    let records = 0;
    const end = (): void => {
      for (const r of requests) r.destroy();
      if (!res.writableEnded) res.end();
    };
    res.on('close', end);
    for (const port of ports) {
      const request = get({ host: '127.0.0.1', port, path: url.pathname + url.search }, upstream => {
        if (upstream.statusCode !== 200) {
          // Every worker has the same listeners: the first refusal (400, 404) is the answer.
          if (!started) {
            started = true;
            res.writeHead(upstream.statusCode ?? 502, {
              'content-type': upstream.headers['content-type'] ?? 'text/plain',
            });
            upstream.pipe(res);
          }
          return;
        }
        if (!started) {
          started = true;
          res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        }
        let first = true;
        let pending = '';
        upstream.setEncoding('utf8');
        upstream.on('data', (chunk: string) => {
          pending += chunk;
          let newline;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline + 1);
            pending = pending.slice(newline + 1);
            if (first) {
              first = false;
              // Each worker's stream opens with the listeners it taps, the same for all: said once.
              if (announced) continue;
              announced = true;
              res.write(line);
              continue;
            }
            if (res.writableEnded) return;
            res.write(line);
            if (limit > 0 && ++records >= limit) return end();
          }
        });
        upstream.on('end', end);
      });
      request.on('error', () => {
        if (!started) {
          started = true;
          sendText(res, 502, 'a proxy worker did not answer\n');
        }
      });
      requests.push(request);
    }
  }
}

function answer(res: ServerResponse, contentType: string, body: string, status = 200): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}

function fetchWorker(port: number, path: string): Promise<WorkerAnswer> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path }, response => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 502,
          contentType: response.headers['content-type'] ?? 'text/plain',
          body,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('timed out after 10 s')));
  });
}
