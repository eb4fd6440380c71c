import type { IncomingMessage, ServerResponse } from 'node:http';
import { admitRead, sendJson, sendText } from '../net/http-admin.js';
import { redactSecrets } from '../xds/redact-secrets.js';
import { explainRedisKey, redisListenersForService, RedisTap } from '../redis/redis-explainer.js';
import { AdminHttpServer } from './admin-http-server.js';
import type { Proxy } from './proxy.js';
import { listenerFilterStats } from './filter-stats.js';
import { explainRoute, routeTablesForService } from './route-explainer.js';
import { Tap } from './tap.js';
import { ProxyMetricsExporter } from './telemetry/prometheus.js';

/**
 * The proxy's admin HTTP API (127.0.0.1 only by default), for people and scripts:
 * - `GET /ready`: 200 once a config is applied, 503 before;
 * - `GET /config_dump`: the snapshot the proxy runs, with its version (Redis passwords redacted);
 * - `GET /clusters`: each cluster's endpoints (load, outlier ejection), limits and counters;
 * - `GET /listeners`: each listener's connections and counters, and its filters' counters by name;
 *   a listener the proxy could not build or bind has `rejected` (code, reason, since, whether its
 *   previous version serves, the next bind attempt) and `bound: false` when nothing listens for it;
 * - `GET /routes`: the route tables in force;
 * - `GET /stats/prometheus`: Istio's request metrics, MetaProtocol and upstream stats, process metrics;
 * - `GET /stats`: the same as JSON;
 * - `GET /xds`: the xDS connection (state: connecting / connected / backing-off with `retryAt`, since
 *   when, reconnects, last error) and subscription (versions per type, update counters, last NACK,
 *   resources that could not be decoded, listeners rejected);
 * - `GET /explain?service=HOST[:PORT]&attr=KEY=VALUE…`: which route a request with those attributes
 *   takes, where it goes, and why each earlier route did not match (404 for an unknown service, 409
 *   when the host has several ports and none was given); for a Redis service,
 *   `…&key=KEY[&command=NAME]`: its prefix route, the key forwarded, the endpoint or slot and nodes,
 *   mirrors and faults;
 * - `GET /tap?service=HOST[:PORT]|listener=NAME&attr=KEY=VALUE…&limit=N`: a live stream (NDJSON) of
 *   the requests those listeners finish, filtered by exact attribute values; the first line names
 *   the listeners tapped. Redis listeners stream their commands (filters `attr=command=…`,
 *   `attr=key=…`). Traffic is not stopped; the stream ends after `limit` records or when the
 *   client disconnects. Attribute values whose names look like credentials are redacted (see
 *   AttributeRedaction).
 *
 * Every path answers GET and HEAD only (405 otherwise): the API changes nothing.
 */
export class AdminServer extends AdminHttpServer {
  private readonly metrics: ProxyMetricsExporter;

  constructor(private readonly proxy: Proxy) {
    super();
    this.metrics = new ProxyMetricsExporter({
      requestMetrics: proxy.telemetry.metrics,
      listeners: () => proxy.listenerMap.values(),
      clusters: () => proxy.clusters.all(),
      accessLog: () => proxy.telemetry.accessLogStats(),
      redis: () => ({ listeners: proxy.redis.listenerMap.values(), clusters: proxy.redis.upstreams.all() }),
      listenerManager: () => ({
        stats: proxy.listenerManager,
        rejected: proxy.rejectedListeners(),
        updates: this.xdsUpdates?.() ?? {},
      }),
      overload: () => proxy.overload,
    });
  }

  protected handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (!admitRead(req, res)) return;
    const proxy = this.proxy;
    switch (path) {
      case '/ready':
        return sendText(
          res,
          proxy.current === undefined ? 503 : 200,
          proxy.current === undefined ? 'not ready\n' : 'ready\n',
        );
      case '/config_dump':
        return sendJson(res, redactSecrets(proxy.current ?? null));
      case '/clusters':
        return sendJson(
          res,
          [...proxy.clusters.all()].map(c => ({
            name: c.name,
            lbPolicy: c.settings.lbPolicy,
            circuitBreakers: c.breaker.current,
            ...(c.settings.outlierDetection === undefined
              ? {}
              : { outlierDetection: c.settings.outlierDetection, panic: c.panic }),
            hosts: c.hosts.map(h => ({
              address: h.key,
              labels: h.labels,
              healthy: h.healthy,
              activeRequests: h.activeRequests,
              ejected: h.ejectedUntil !== 0,
              ...(h.ejectedUntil === 0 ? {} : { ejectedUntil: new Date(h.ejectedUntil).toISOString() }),
              ejections: h.ejectionsTotal,
              consecutiveErrors: h.consecutiveErrors,
              consecutiveGatewayErrors: h.consecutiveGatewayErrors,
            })),
            stats: c.stats,
          })),
        );
      case '/listeners': {
        const rejected = new Map(proxy.rejectedListeners().map(r => [r.name, r]));
        const bound = [...proxy.listenerMap.values()].map(l => {
          const rejection = rejected.get(l.name);
          return {
            name: l.name,
            protocol: l.state.resource.protocol,
            routeConfigName: l.state.resource.routeConfigName,
            bound: true,
            connections: l.connectionCount,
            taps: l.taps.length,
            stats: l.stats,
            filters: listenerFilterStats(l.state),
            ...(rejection === undefined ? {} : { rejected: rejection }),
          };
        });
        const redis = [...proxy.redis.listenerMap.values()].map(l => {
          const rejection = rejected.get(l.name);
          return {
            name: l.name,
            protocol: 'redis',
            statPrefix: l.state.resource.statPrefix,
            bound: true,
            connections: l.connectionCount,
            taps: l.taps,
            stats: l.stats,
            ...(rejection === undefined ? {} : { rejected: rejection }),
          };
        });
        const unbound = [...rejected.values()]
          .filter(r => !proxy.listenerMap.has(r.name) && !proxy.redis.listenerMap.has(r.name))
          .map(r => {
            const resource = proxy.current?.listeners.find(l => l.name === r.name);
            const isRedis = proxy.current?.redisListeners?.some(l => l.name === r.name) === true;
            return {
              name: r.name,
              protocol: isRedis ? 'redis' : (resource?.protocol ?? ''),
              routeConfigName: resource?.routeConfigName ?? '',
              bound: false,
              connections: 0,
              rejected: r,
            };
          });
        return sendJson(res, [...bound, ...redis, ...unbound]);
      }
      case '/routes':
        return sendJson(res, proxy.current?.routes ?? []);
      case '/xds':
        return sendJson(res, this.xdsStatus?.() ?? null);
      case '/stats/prometheus':
        this.metrics.text().then(
          text => {
            res.writeHead(200, { 'content-type': this.metrics.contentType });
            res.end(text);
          },
          (err: unknown) => sendText(res, 500, `metrics failed: ${String(err)}\n`),
        );
        return;
      case '/stats':
        this.metrics.json().then(
          json => sendJson(res, json),
          (err: unknown) => sendText(res, 500, `metrics failed: ${String(err)}\n`),
        );
        return;
      case '/explain':
        return this.explain(url.searchParams, res);
      case '/tap':
        return this.tap(url.searchParams, res);
      default:
        return sendText(
          res,
          404,
          'not found; try /ready /config_dump /clusters /listeners /routes /stats /stats/prometheus /xds /explain /tap\n',
        );
    }
  }

  private explain(params: URLSearchParams, res: ServerResponse): void {
    const service = params.get('service') ?? '';
    const portText = params.get('port');
    const port = portText === null || portText === '' ? undefined : Number(portText);
    if (service === '' || (port !== undefined && !Number.isInteger(port))) {
      return sendJson(
        res,
        { error: 'give service=HOST[:PORT] (or a route table name) and optionally port=N' },
        400,
      );
    }
    const attributes = attributeParams(params);
    if (typeof attributes === 'string') return sendJson(res, { error: attributes }, 400);
    const snapshot = this.proxy.current;
    const names = (snapshot?.routes ?? []).map(r => r.name);
    const tables = routeTablesForService(names, service, port);
    const redis = redisListenersForService(this.proxy.redis.listenerMap.values(), service, port);
    if (params.has('key') || (tables.length === 0 && redis.length > 0)) {
      return this.explainRedis(redis, params, service, res);
    }
    if (tables.length === 0) {
      return sendJson(res, { error: `no route table for '${service}'`, routeTables: names }, 404);
    }
    if (tables.length > 1) {
      return sendJson(res, { error: `'${service}' has several ports; give one`, routeTables: tables }, 409);
    }
    const name = tables[0]!;
    const table = this.proxy.routeTable(name);
    if (table === undefined) return sendJson(res, { error: `route table '${name}' is not loaded` }, 404);
    const listeners = [...this.proxy.listenerMap.values()]
      .filter(l => l.state.resource.routeConfigName === name)
      .map(l => l.name)
      .sort();
    return sendJson(res, explainRoute(table, attributes, listeners));
  }

  private explainRedis(
    listeners: ReturnType<typeof redisListenersForService>,
    params: URLSearchParams,
    service: string,
    res: ServerResponse,
  ): void {
    const key = params.get('key');
    if (key === null) return sendJson(res, { error: `'${service}' is a Redis service: give key=KEY` }, 400);
    const all = [...this.proxy.redis.listenerMap.keys()].sort();
    const first = listeners[0];
    if (first === undefined) {
      return sendJson(res, { error: `no Redis listener for '${service}'`, listeners: all }, 404);
    }
    if (new Set(listeners.map(l => l.state.resource.port)).size > 1) {
      return sendJson(
        res,
        { error: `'${service}' has several ports; give one`, listeners: listeners.map(l => l.name) },
        409,
      );
    }
    const command = params.get('command') ?? 'GET';
    return sendJson(
      res,
      explainRedisKey(
        first,
        this.proxy.redis.upstreams,
        key,
        command,
        listeners.map(l => l.name),
      ),
    );
  }

  private tap(params: URLSearchParams, res: ServerResponse): void {
    const limit = Number(params.get('limit') ?? '0');
    if (!Number.isInteger(limit) || limit < 0) {
      return sendJson(res, { error: 'limit must be a whole number ≥ 0' }, 400);
    }
    const match = attributeParams(params);
    if (typeof match === 'string') return sendJson(res, { error: match }, 400);
    const all = [...this.proxy.listenerMap.values()];
    const listenerName = params.get('listener');
    const service = params.get('service');
    let listeners;
    if (listenerName !== null) {
      listeners = all.filter(l => l.name === listenerName);
    } else if (service !== null && service !== '') {
      const tables = routeTablesForService(
        all.map(l => l.state.resource.routeConfigName),
        service,
      );
      listeners = all.filter(l => tables.includes(l.state.resource.routeConfigName));
    } else {
      return sendJson(res, { error: 'give service=HOST[:PORT] or listener=NAME' }, 400);
    }
    const redisListeners = redisListenersForService(
      this.proxy.redis.listenerMap.values(),
      listenerName ?? service ?? '',
    );
    if (listeners.length === 0 && redisListeners.length > 0) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      res.write(JSON.stringify({ tapping: redisListeners.map(l => l.name) }) + '\n');
      const tap = new RedisTap(
        match,
        limit,
        record => res.write(JSON.stringify(record) + '\n'),
        () => {
          for (const l of redisListeners) l.removeObserver(tap);
          res.end();
        },
      );
      for (const l of redisListeners) l.addObserver(tap);
      res.on('close', () => tap.close());
      return;
    }
    if (listeners.length === 0) {
      return sendJson(
        res,
        { error: `no listener for '${listenerName ?? service}'`, listeners: all.map(l => l.name).sort() },
        404,
      );
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.write(JSON.stringify({ tapping: listeners.map(l => l.name).sort() }) + '\n');
    const tap = new Tap(
      match,
      limit,
      record => res.write(JSON.stringify(record) + '\n'),
      () => {
        for (const l of listeners) l.removeTap(tap);
        res.end();
      },
      this.proxy.telemetry.redaction,
    );
    for (const l of listeners) l.addTap(tap);
    // The response's close (not the request's) tells that the client went away.
    res.on('close', () => tap.close());
  }
}

/**
 * The `attr=KEY=VALUE` query parameters as request attributes (keys lower-cased, as codecs report
 * them), or the error to answer with.
 */
function attributeParams(params: URLSearchParams): Map<string, string> | string {
  const attributes = new Map<string, string>();
  for (const attr of params.getAll('attr')) {
    const eq = attr.indexOf('=');
    if (eq <= 0) return `attribute '${attr}' must look like KEY=VALUE`;
    attributes.set(attr.slice(0, eq).toLowerCase(), attr.slice(eq + 1));
  }
  return attributes;
}
