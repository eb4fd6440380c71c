import { thrift, type TProtocolClass, type TTransportClass } from './thrift-lib.js';

/** A Thrift wire stack: a protocol inside a transport. `header` is the THeader transport. */
export interface ThriftStack {
  readonly protocol: 'binary' | 'compact';
  readonly transport: 'framed' | 'buffered' | 'header';
}

/** Every stack the proxy's Thrift codec must carry. */
export const ALL_STACKS: readonly ThriftStack[] = [
  { protocol: 'binary', transport: 'framed' },
  { protocol: 'binary', transport: 'buffered' },
  { protocol: 'compact', transport: 'framed' },
  { protocol: 'compact', transport: 'buffered' },
  { protocol: 'binary', transport: 'header' },
  { protocol: 'compact', transport: 'header' },
];

/** "binary-framed", "compact-header", …: usable in host names, tags and test names. */
export function stackLabel(stack: ThriftStack): string {
  return `${stack.protocol}-${stack.transport}`;
}

/** THeader's sub-protocol ids (HeaderFormat.md). */
export const THEADER_PROTOCOL_ID = { binary: 0, compact: 2 } as const;

/** The library classes for a non-THeader stack. */
export function plainStackClasses(stack: ThriftStack): {
  protocol: TProtocolClass;
  transport: TTransportClass;
} {
  return {
    protocol: stack.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol,
    transport: stack.transport === 'framed' ? thrift.TFramedTransport : thrift.TBufferedTransport,
  };
}
