/**
 * The Redis services of the examples as the quickstart demos them: the front's listeners, and as
 * "versions" the stores its RedisService routes keys to (each store's endpoint, named after its
 * ServiceEntry), with the routes in words.
 */
import { relative } from 'node:path';
import type { ServiceEntry } from '../../src/api/index.js';
import type { LoadedConfig } from '../../src/control-plane/index.js';
import type { DemoEndpoint, DemoService, HostPort } from './demo-config.js';

type Entry = LoadedConfig['config']['serviceEntries'][number];

/** The demo of one ServiceEntry's Redis port, or undefined when it has no RedisService or stores. */
export function redisDemoService(
  loaded: LoadedConfig,
  entry: Entry,
  listeners: readonly HostPort[],
  root: string,
): DemoService | undefined {
  const config = loaded.config;
  const spec: ServiceEntry['spec'] = entry.resource.spec;
  const host = spec.hosts[0] ?? '';
  const service = config.redisServices.find(
    rs =>
      rs.namespace === entry.namespace &&
      rs.resource.spec.host.some(h => h === host || `${h}.${rs.namespace}.svc.cluster.local` === host),
  );
  if (service === undefined || listeners.length === 0) return undefined;
  const qualify = (written: string): string =>
    written.includes('.') ? written : `${written}.${service.namespace}.svc.cluster.local`;
  const endpoints: DemoEndpoint[] = [];
  const words: string[] = [];
  for (const route of service.resource.spec.redis ?? []) {
    const target = config.serviceEntries.find(se =>
      se.resource.spec.hosts.includes(qualify(route.route.host)),
    );
    const targetSpec = target?.resource.spec;
    const port = targetSpec?.ports.find(p => p.name.startsWith('tcp-redis'));
    const endpoint = targetSpec?.endpoints?.[0];
    if (target === undefined || port === undefined || endpoint?.address === undefined) continue;
    const name = target.resource.metadata.name;
    if (!endpoints.some(e => e.version === name)) {
      endpoints.push({
        version: name,
        host: endpoint.address,
        port: endpoint.ports?.[port.name] ?? port.number,
      });
    }
    const prefix = route.match?.key?.prefix;
    words.push(prefix === undefined ? `other keys → ${name}` : `${prefix}* → ${name}`);
  }
  if (endpoints.length === 0) return undefined;
  return {
    protocol: 'redis',
    host,
    name: host.split('.')[0] ?? host,
    listeners,
    endpoints,
    file: relative(root, entry.origin.file),
    routing: { file: relative(root, service.origin.file), description: words.join(', ') },
  };
}
