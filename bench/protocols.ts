/**
 * The protocols the benchmark drives. Each has its own C server and load generator in bench/native/
 * and its own ServiceEntry port in the aeraki config, so one run measures every protocol through the
 * same proxies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A benchmarked protocol. */
export interface Protocol {
  /** As written in `--protocols` and in the aeraki port name (`tcp-metaprotocol-<name>-bench`). */
  name: string;
  /** The report's heading for its tables. */
  title: string;
  /** The C programs, bench/native/<server>.c and <loadgen>.c. */
  server: string;
  loadgen: string;
  /** The ServiceEntry address aeraki listens on for it (each protocol its own). */
  aerakiAddress: string;
  /** For a codec that is not built in: its ApplicationProtocol and the `aeraki up` flags it needs. */
  aeraki?: { config(root: string): string; args(root: string): string[] };
  /** Run only when named in --protocols. */
  optIn?: boolean;
}

function applicationProtocol(protocol: string, codec: string, extra = ''): string {
  return `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata: {name: ${protocol}}
spec: {protocol: ${protocol}, codec: ${codec}${extra}}
`;
}

export const PROTOCOLS: readonly Protocol[] = [
  {
    name: 'thrift',
    title: 'Thrift (framed, strict binary)',
    server: 'thrift_server',
    loadgen: 'thrift_loadgen',
    aerakiAddress: '127.0.50.1',
  },
  {
    name: 'dubbo',
    title: 'Dubbo (Dubbo2, Hessian2)',
    server: 'dubbo_server',
    loadgen: 'dubbo_loadgen',
    aerakiAddress: '127.0.50.2',
  },
  {
    name: 'memcached',
    title: 'memcached (binary; the plugins/memcached plugin)',
    server: 'memcached_server',
    loadgen: 'memcached_loadgen',
    aerakiAddress: '127.0.50.3',
    aeraki: {
      config: () => applicationProtocol('memcached', 'aeraki.meta_protocol.codec.memcached'),
      args: root => ['--plugin', join(root, 'plugins/memcached')],
    },
  },
  {
    // The same protocol with the declarative codec (plugins/declarative/memcached.yaml), inline in
    // its ApplicationProtocol: the cost of a codec without code next to the hand-written one.
    name: 'mcyaml',
    title: 'memcached (binary; the declarative codec)',
    server: 'memcached_server',
    loadgen: 'memcached_loadgen',
    aerakiAddress: '127.0.50.4',
    aeraki: {
      config: root => {
        const description = parse(
          readFileSync(join(root, 'plugins/declarative/memcached.yaml'), 'utf8'),
        ) as unknown;
        return applicationProtocol(
          'mcyaml',
          'aeraki.meta_protocol.codec.declarative',
          `, declarativeCodec: ${JSON.stringify(description)}`,
        );
      },
      args: () => [],
    },
    optIn: true,
  },
];

/** The protocols run when --protocols is not given. */
export const DEFAULT_PROTOCOLS = PROTOCOLS.filter(p => p.optIn !== true)
  .map(p => p.name)
  .join(',');

/** The protocols named in a comma-separated list, in the order given; throws on an unknown name. */
export function parseProtocols(list: string): Protocol[] {
  return list.split(',').map(raw => {
    const name = raw.trim();
    const protocol = PROTOCOLS.find(p => p.name === name);
    if (protocol === undefined) {
      throw new Error(`unknown protocol '${name}' (known: ${PROTOCOLS.map(p => p.name).join(', ')})`);
    }
    return protocol;
  });
}
