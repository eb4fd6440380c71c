/**
 * The npm `thrift` library (Apache Thrift's Node.js implementation), loaded with the same `require`
 * that the generated service code uses, so both share one module instance (the THeader protocol checks
 * its transport with `instanceof`). The types cover only what the harness uses: the published
 * @types/thrift predates THeader.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';
import { repoRoot } from './repo-root.js';

/** A Thrift transport as the library implements it (buffered and framed both inherit THeaderTransport). */
export interface TTransportInstance {
  inBuf: Buffer;
  readCursor: number;
  writeCursor: number;
  onFlush?: (buf: Buffer, seqid?: number) => void;
  flush(): void;
  writeHeaders(): void;
  setSeqId(seqid: number): void;
  setProtocolId(id: number): void;
  getProtocolId(): number;
  getReadHeaders(): Record<string, string>;
  setWriteHeader(key: string, value: string): void;
  clearWriteHeaders(): void;
}

export interface TTransportClass {
  new (buffer?: Buffer, onFlush?: (buf: Buffer, seqid?: number) => void): TTransportInstance;
  receiver(
    callback: (transport: TTransportInstance) => void,
    seqid?: number,
    maxLength?: number,
  ): (data: Buffer) => void;
}

export interface TProtocolInstance {
  readMessageBegin(): { fname: string; mtype: number; rseqid: number };
  writeMessageBegin(name: string, type: number, seqid: number): void;
  writeMessageEnd(): void;
  flush(): void;
}

export type TProtocolClass = new (transport: TTransportInstance) => TProtocolInstance;

/** A processor generated for a service, or the library's MultiplexedProcessor. */
export interface TProcessor {
  process(input: TProtocolInstance, output: TProtocolInstance): void;
}

export interface ThriftConnection extends EventEmitter {
  connected: boolean;
  connection: Socket;
  end(): void;
  destroy(): void;
}

export interface TApplicationExceptionInstance extends Error {
  type: number;
  message: string;
}

export interface ThriftLibrary {
  TBinaryProtocol: TProtocolClass;
  TCompactProtocol: TProtocolClass;
  THeaderProtocol: TProtocolClass;
  TBufferedTransport: TTransportClass;
  TFramedTransport: TTransportClass;
  InputBufferUnderrunError: new () => Error;
  Thrift: {
    TApplicationException: new (type?: number, message?: string) => TApplicationExceptionInstance;
    TApplicationExceptionType: Record<string, number>;
    MessageType: { CALL: number; REPLY: number; EXCEPTION: number; ONEWAY: number };
  };
  MultiplexedProcessor: new () => TProcessor & {
    registerProcessor(name: string, processor: TProcessor): void;
  };
  Multiplexer: new () => {
    createClient<T>(serviceName: string, service: unknown, connection: ThriftConnection): T;
  };
  createMultiplexServer(
    processor: TProcessor,
    options: { transport: TTransportClass; protocol: TProtocolClass },
  ): Server;
  createConnection(
    host: string,
    port: number,
    options: {
      transport: TTransportClass;
      protocol: TProtocolClass;
      connect_timeout?: number;
      max_attempts?: number;
    },
  ): ThriftConnection;
  createClient<T>(service: unknown, connection: ThriftConnection): T;
  setLogFunc(fn: (...args: unknown[]) => void): void;
}

/** `require` relative to the repository root: resolves `thrift` and the generated code. */
export const requireFromRoot = createRequire(join(repoRoot(), 'package.json'));

export const thrift = requireFromRoot('thrift') as ThriftLibrary;

// With many calls in flight the library logs "SeqId already set" for nearly every call; it is noise
// (responses are still matched by seqid), and it would drown the test output.
thrift.setLogFunc(() => {});
