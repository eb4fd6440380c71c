/**
 * A stand-in for an OpenTelemetry Collector's OTLP/HTTP traces receiver (`POST /v1/traces`, JSON
 * encoding, as @opentelemetry/exporter-trace-otlp-http sends it). The collector itself is a Go binary
 * that cannot be installed here; this keeps to the wire format it accepts: resourceSpans →
 * scopeSpans → spans, ids as hex strings, attributes as {key, value: {stringValue | intValue | …}}.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly status: { readonly code?: number; readonly message?: string };
  readonly serviceName: string;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}

function attributeMap(list: readonly OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue ?? ''));
  }
  return out;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const holder: { receiver?: OtlpReceiver } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        try {
          holder.receiver?.accept(JSON.parse(body) as unknown);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new OtlpReceiver(server, `http://127.0.0.1:${port}/v1/traces`);
    holder.receiver = receiver;
    return receiver;
  }

  /** Resolves once a span satisfies `predicate`; rejects after `timeoutMs`. */
  async waitFor(predicate: (span: ReceivedSpan) => boolean, timeoutMs = 10000): Promise<ReceivedSpan> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.spans.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`no such span within ${timeoutMs} ms; got ${JSON.stringify(this.spans)}`);
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    return new Promise(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private accept(body: unknown): void {
    const request = body as {
      resourceSpans?: {
        resource?: { attributes?: OtlpAttribute[] };
        scopeSpans?: { spans?: Record<string, unknown>[] }[];
      }[];
    };
    for (const resourceSpans of request.resourceSpans ?? []) {
      const serviceName = String(attributeMap(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            traceId: String(span['traceId']),
            spanId: String(span['spanId']),
            parentSpanId: String(span['parentSpanId'] ?? ''),
            name: String(span['name']),
            kind: Number(span['kind']),
            attributes: attributeMap(span['attributes'] as OtlpAttribute[] | undefined),
            status: (span['status'] ?? {}) as { code?: number; message?: string },
            serviceName,
          });
        }
      }
    }
  }
}
