/**
 * Test support: real Thrift bytes written (and read back) by the Apache Thrift Node.js library
 * (`thrift@0.24.0`), so the codec is checked against an independent implementation rather than
 * against itself.
 */
import thriftModule from 'thrift';

/** The part of the Apache library's protocol API the tests use. */
export interface TProtocol {
  writeMessageBegin(name: string, type: number, seqid: number): void;
  writeMessageEnd(): void;
  writeStructBegin(name: string): void;
  writeStructEnd(): void;
  writeFieldBegin(name: string, type: number, id: number): void;
  writeFieldEnd(): void;
  writeFieldStop(): void;
  writeMapBegin(keyType: number, valueType: number, size: number): void;
  writeMapEnd(): void;
  writeListBegin(elementType: number, size: number): void;
  writeListEnd(): void;
  writeSetBegin(elementType: number, size: number): void;
  writeSetEnd(): void;
  writeBool(value: boolean): void;
  writeByte(value: number): void;
  writeI16(value: number): void;
  writeI32(value: number): void;
  writeI64(value: number): void;
  writeDouble(value: number): void;
  writeString(value: string): void;
  writeBinary(value: Buffer): void;
  readMessageBegin(): { fname: string; mtype: number; rseqid: number };
  readMapBegin(): { ktype: number; vtype: number; size: number };
  readListBegin(): { etype: number; size: number };
  readSetBegin(): { etype: number; size: number };
  readStructBegin(): unknown;
  readFieldBegin(): { fname: string; ftype: number; fid: number };
  readFieldEnd(): void;
  readStructEnd(): void;
  readI32(): number;
  readString(): string;
  skip(type: number): void;
  flush(): void;
}

interface TTransport {
  inBuf: Buffer;
  readCursor: number;
  /** TFramedTransport's read position in its frame. */
  readPos: number;
  writeCursor: number;
  setProtocolId(id: number): void;
  setSeqId(seqid: number): void;
  setWriteHeader(key: string, value: string): void;
  getReadHeaders(): Record<string, string>;
  getSeqId(): number;
  flush(): void;
}

interface TApplicationException {
  message: string;
  type: number;
  read(input: TProtocol): void;
  write(output: TProtocol): void;
}

interface ApacheThrift {
  TBinaryProtocol: new (transport: TTransport) => TProtocol;
  TCompactProtocol: new (transport: TTransport) => TProtocol;
  THeaderProtocol: new (transport: TTransport) => TProtocol;
  TFramedTransport: new (buffer?: Buffer | null, onFlush?: (out: Buffer) => void) => TTransport;
  TBufferedTransport: new (buffer?: Buffer | null, onFlush?: (out: Buffer) => void) => TTransport;
  setLogFunc(log: () => void): void;
  Thrift: {
    Type: Record<
      | 'STOP'
      | 'BOOL'
      | 'BYTE'
      | 'DOUBLE'
      | 'I16'
      | 'I32'
      | 'I64'
      | 'STRING'
      | 'STRUCT'
      | 'MAP'
      | 'SET'
      | 'LIST',
      number
    >;
    TApplicationException: new (type?: number, message?: string) => TApplicationException;
  };
}

export const apache = thriftModule as unknown as ApacheThrift;
// The library warns about seqids on every message it writes; the tests do not need that noise.
apache.setLogFunc(() => {});

export const T = apache.Thrift.Type;
export const CALL = 1;
export const REPLY = 2;
export const EXCEPTION = 3;
export const ONEWAY = 4;

export type Transport = 'framed' | 'unframed' | 'header';
export type Protocol = 'binary' | 'compact';

/** A message to write with the Apache library. */
export interface MessageSpec {
  readonly transport: Transport;
  readonly protocol: Protocol;
  readonly name: string;
  readonly type: number;
  readonly seqid: number;
  /** Writes the arguments or result struct. */
  readonly body: (p: TProtocol) => void;
  /** THeader info headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The wire bytes of one message as the Apache library writes it. */
export function writeMessage(spec: MessageSpec): Buffer {
  let out: Buffer | undefined;
  const onFlush = (bytes: Buffer): void => {
    out = Buffer.from(bytes);
  };
  const transport =
    spec.transport === 'framed'
      ? new apache.TFramedTransport(null, onFlush)
      : new apache.TBufferedTransport(null, onFlush);
  let protocol: TProtocol;
  if (spec.transport === 'header') {
    // THeader must be flushed through the protocol (which writes the header), not the transport.
    transport.setProtocolId(spec.protocol === 'binary' ? 0 : 2);
    transport.setSeqId(spec.seqid);
    for (const [key, value] of Object.entries(spec.headers ?? {})) transport.setWriteHeader(key, value);
    protocol = new apache.THeaderProtocol(transport);
  } else {
    protocol =
      spec.protocol === 'binary'
        ? new apache.TBinaryProtocol(transport)
        : new apache.TCompactProtocol(transport);
  }
  protocol.writeMessageBegin(spec.name, spec.type, spec.seqid);
  spec.body(protocol);
  protocol.writeMessageEnd();
  if (spec.transport === 'header') protocol.flush();
  else transport.flush();
  if (out === undefined) throw new Error('the Apache library wrote nothing');
  return out;
}

/** What the Apache library reads from one message. */
export interface ReadMessage {
  readonly name: string;
  readonly type: number;
  readonly seqid: number;
  /** THeader info headers, for THeader messages. */
  readonly headers: Record<string, string>;
  /** THeader frame seqid, for THeader messages. */
  readonly frameSeqid: number | undefined;
  /** The protocol positioned at the message's struct. */
  readonly protocol: TProtocol;
  /** How many bytes of the input the library has read so far (the frame size included). */
  readonly position: () => number;
}

function readerTransport(bytes: Buffer): TTransport {
  const transport = new apache.TBufferedTransport();
  transport.inBuf = Buffer.from(bytes);
  transport.readCursor = 0;
  transport.writeCursor = bytes.length;
  return transport;
}

/** Reads one message's envelope (and THeader headers) with the Apache library. */
export function readMessage(bytes: Buffer, transport: Transport, protocol: Protocol): ReadMessage {
  let reader: TProtocol;
  let carrier: TTransport;
  if (transport === 'header') {
    carrier = readerTransport(bytes);
    reader = new apache.THeaderProtocol(carrier);
  } else {
    carrier =
      transport === 'framed' ? new apache.TFramedTransport(bytes.subarray(4)) : readerTransport(bytes);
    reader =
      protocol === 'binary' ? new apache.TBinaryProtocol(carrier) : new apache.TCompactProtocol(carrier);
  }
  if (transport === 'framed' && bytes.readInt32BE(0) !== bytes.length - 4) {
    throw new Error(`frame size ${bytes.readInt32BE(0)} but ${bytes.length - 4} bytes follow`);
  }
  const envelope = reader.readMessageBegin();
  return {
    name: envelope.fname,
    type: envelope.mtype,
    seqid: envelope.rseqid,
    headers: transport === 'header' ? { ...carrier.getReadHeaders() } : {},
    frameSeqid: transport === 'header' ? carrier.getSeqId() : undefined,
    protocol: reader,
    position: () => (transport === 'framed' ? 4 + carrier.readPos : carrier.readCursor),
  };
}

/**
 * Reads one message as an Apache server does: its envelope, then its whole struct (skipped, with the
 * library's nesting limit). Returns its type and how many bytes were read; throws what the library
 * throws on bytes it cannot read, and on a negative collection size, which the C++ and Java libraries
 * refuse (TProtocolException NEGATIVE_SIZE) while this one reads it as an empty collection.
 */
export function readWholeMessage(
  bytes: Buffer,
  transport: Transport,
  protocol: Protocol,
): { readonly type: number; readonly consumed: number } {
  const read = readMessage(bytes, transport, protocol);
  const p = read.protocol;
  const checked =
    <R extends { size: number }>(begin: () => R) =>
    (): R => {
      const result = begin();
      if (result.size < 0) throw new Error(`negative collection size ${result.size}`);
      return result;
    };
  p.readMapBegin = checked(p.readMapBegin.bind(p));
  p.readListBegin = checked(p.readListBegin.bind(p));
  p.readSetBegin = checked(p.readSetBegin.bind(p));
  skipStruct(p);
  return { type: read.type, consumed: read.position() };
}

/** Reads a TApplicationException struct with the Apache library's own reader. */
export function readApplicationException(protocol: TProtocol): { message: string; type: number } {
  const exception = new apache.Thrift.TApplicationException();
  exception.read(protocol);
  return { message: exception.message, type: exception.type };
}

/** Skips the message's struct with the Apache library (throws if the bytes do not hold a whole struct). */
export function skipStruct(protocol: TProtocol): void {
  protocol.skip(T.STRUCT);
}

/** Writes a struct `{1: string message}` (a declared exception such as `CalculatorError`). */
export function writeErrorStruct(p: TProtocol, message: string): void {
  p.writeStructBegin('CalculatorError');
  p.writeFieldBegin('message', T.STRING, 1);
  p.writeString(message);
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
}

/**
 * An argument struct using every Thrift type: scalars, strings and binary, a nested struct, lists,
 * sets, maps, nested collections, a large field id (long form in compact) and booleans (folded into
 * the field header in compact).
 */
export function writeAllTypesArgs(p: TProtocol): void {
  p.writeStructBegin('everything_args');
  p.writeFieldBegin('flag', T.BOOL, 1);
  p.writeBool(true);
  p.writeFieldEnd();
  p.writeFieldBegin('small', T.BYTE, 2);
  p.writeByte(-7);
  p.writeFieldEnd();
  p.writeFieldBegin('short', T.I16, 3);
  p.writeI16(-1234);
  p.writeFieldEnd();
  p.writeFieldBegin('int', T.I32, 4);
  p.writeI32(-2_000_000_000);
  p.writeFieldEnd();
  p.writeFieldBegin('long', T.I64, 5);
  p.writeI64(9_007_199_254_740_991);
  p.writeFieldEnd();
  p.writeFieldBegin('real', T.DOUBLE, 6);
  p.writeDouble(-3.25e100);
  p.writeFieldEnd();
  p.writeFieldBegin('text', T.STRING, 7);
  p.writeString('héllo wörld ✓');
  p.writeFieldEnd();
  p.writeFieldBegin('blob', T.STRING, 8);
  p.writeBinary(Buffer.from([0, 1, 2, 0xff, 0x80, 0x00]));
  p.writeFieldEnd();
  p.writeFieldBegin('nested', T.STRUCT, 9);
  p.writeStructBegin('Nested');
  p.writeFieldBegin('id', T.I32, 1);
  p.writeI32(42);
  p.writeFieldEnd();
  p.writeFieldBegin('names', T.LIST, 2);
  p.writeListBegin(T.STRING, 3);
  for (const name of ['a', '', 'ccc']) p.writeString(name);
  p.writeListEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('inner', T.STRUCT, 3);
  writeErrorStruct(p, 'deep');
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('numbers', T.LIST, 10);
  p.writeListBegin(T.I32, 20);
  for (let i = 0; i < 20; i++) p.writeI32(i * 1000 - 5000);
  p.writeListEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('tags', T.SET, 11);
  p.writeSetBegin(T.STRING, 2);
  p.writeString('x');
  p.writeString('y');
  p.writeSetEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('byName', T.MAP, 12);
  p.writeMapBegin(T.STRING, T.STRUCT, 2);
  for (const key of ['k1', 'k2']) {
    p.writeString(key);
    writeErrorStruct(p, `value of ${key}`);
  }
  p.writeMapEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('matrix', T.LIST, 13);
  p.writeListBegin(T.LIST, 2);
  for (const row of [[1, -2], [3_000_000_000_000]]) {
    p.writeListBegin(T.I64, row.length);
    for (const value of row) p.writeI64(value);
    p.writeListEnd();
  }
  p.writeListEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('switches', T.MAP, 14);
  p.writeMapBegin(T.I32, T.BOOL, 2);
  p.writeI32(1);
  p.writeBool(true);
  p.writeI32(2);
  p.writeBool(false);
  p.writeMapEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('empty', T.MAP, 15);
  p.writeMapBegin(T.STRING, T.STRING, 0);
  p.writeMapEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('off', T.BOOL, 16);
  p.writeBool(false);
  p.writeFieldEnd();
  p.writeFieldBegin('doubles', T.LIST, 17);
  p.writeListBegin(T.DOUBLE, 3);
  for (const value of [0.5, -1, 1e-300]) p.writeDouble(value);
  p.writeListEnd();
  p.writeFieldEnd();
  p.writeFieldBegin('far', T.I32, 300);
  p.writeI32(7);
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
}

/** `add_args {1: i32 a, 2: i32 b}`. */
export function writeAddArgs(p: TProtocol, a: number, b: number): void {
  p.writeStructBegin('add_args');
  p.writeFieldBegin('a', T.I32, 1);
  p.writeI32(a);
  p.writeFieldEnd();
  p.writeFieldBegin('b', T.I32, 2);
  p.writeI32(b);
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
}

/** `add_result {0: i32 success}`. */
export function writeAddResult(p: TProtocol, sum: number): void {
  p.writeStructBegin('add_result');
  p.writeFieldBegin('success', T.I32, 0);
  p.writeI32(sum);
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
}

/** `ping_result {}` (a void method's result). */
export function writeVoidResult(p: TProtocol): void {
  p.writeStructBegin('ping_result');
  p.writeFieldStop();
  p.writeStructEnd();
}

/** `add_result {1: CalculatorError error}` (a declared exception). */
export function writeDeclaredExceptionResult(p: TProtocol, message: string): void {
  p.writeStructBegin('add_result');
  p.writeFieldBegin('error', T.STRUCT, 1);
  writeErrorStruct(p, message);
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
}

/** A TApplicationException written by the library (its writer omits the type field). */
export function writeApplicationException(p: TProtocol, message: string): void {
  new apache.Thrift.TApplicationException(6, message).write(p);
}
