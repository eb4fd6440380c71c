/**
 * The protocols the benchmark drives. Each has its own C server and load generator in bench/native/
 * and its own ServiceEntry port in the aeraki config, so one run measures every protocol through the
 * same proxies.
 */

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
];

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
