/**
 * Test support: codec test kit fixtures of real Thrift traffic written by the Apache library, for each
 * transport and protocol.
 */
import type { CodecFixture, ExpectedMessage } from '../../../../src/codec/test-kit.js';
import {
  CALL,
  EXCEPTION,
  ONEWAY,
  REPLY,
  writeAddArgs,
  writeAddResult,
  writeAllTypesArgs,
  writeApplicationException,
  writeDeclaredExceptionResult,
  writeMessage,
  writeVoidResult,
} from './apache-thrift.js';
import type { MessageSpec, Protocol, Transport } from './apache-thrift.js';

export const TRANSPORTS: readonly Transport[] = ['framed', 'unframed', 'header'];
export const PROTOCOLS: readonly Protocol[] = ['binary', 'compact'];

const HEADERS = { 'X-Request-Id': 'req-1', tenant: 'blue' };

interface Sample {
  readonly label: string;
  readonly spec: Omit<MessageSpec, 'transport' | 'protocol'>;
  readonly expect: ExpectedMessage;
}

const headerMetadata = (transport: Transport): Record<string, string> =>
  transport === 'header' ? { 'x-request-id': 'req-1', tenant: 'blue' } : {};

function samples(transport: Transport): Sample[] {
  const headers = transport === 'header' ? HEADERS : undefined;
  const meta = headerMetadata(transport);
  return [
    {
      label: 'call with every type, multiplexed',
      spec: { name: 'Calculator:everything', type: CALL, seqid: 1, body: writeAllTypesArgs, headers },
      expect: {
        type: 'request',
        requestId: 1,
        operation: 'Calculator/everything',
        metadata: { ...meta, method: 'everything', service: 'Calculator' },
      },
    },
    {
      label: 'call',
      spec: { name: 'add', type: CALL, seqid: 2, body: p => writeAddArgs(p, 1, 2), headers },
      expect: { type: 'request', requestId: 2, operation: 'add', metadata: { ...meta, method: 'add' } },
    },
    {
      label: 'reply',
      spec: { name: 'add', type: REPLY, seqid: 2, body: p => writeAddResult(p, 3), headers },
      expect: { type: 'response', requestId: 2, status: 'ok', metadata: { method: 'add' } },
    },
    {
      label: 'void reply',
      spec: { name: 'ping', type: REPLY, seqid: 3, body: writeVoidResult, headers },
      expect: { type: 'response', requestId: 3, status: 'ok', metadata: { method: 'ping' } },
    },
    {
      label: 'reply with a declared exception',
      spec: {
        name: 'add',
        type: REPLY,
        seqid: 4,
        body: p => writeDeclaredExceptionResult(p, 'overflow'),
        headers,
      },
      expect: { type: 'response', requestId: 4, status: 'error' },
    },
    {
      label: 'exception',
      spec: {
        name: 'divide',
        type: EXCEPTION,
        seqid: 5,
        body: p => writeApplicationException(p, 'boom'),
        headers,
      },
      expect: { type: 'error', requestId: 5, status: 'error', metadata: { method: 'divide' } },
    },
    {
      label: 'oneway',
      spec: { name: 'log', type: ONEWAY, seqid: 6, body: p => writeAddArgs(p, 9, 9), headers },
      expect: { type: 'oneway', requestId: 6, metadata: { method: 'log' } },
    },
    {
      label: 'call with a negative seqid',
      spec: { name: 'add', type: CALL, seqid: -16, body: p => writeAddArgs(p, 0, 0), headers },
      expect: { type: 'request', requestId: 0xfffffff0 },
    },
  ];
}

function isCall(expect: ExpectedMessage): boolean {
  return expect.type === 'request' || expect.type === 'oneway';
}

/** Every sample message of one transport and protocol, one fixture each, plus all of them back to back. */
export function fixturesFor(transport: Transport, protocol: Protocol): CodecFixture[] {
  const all = samples(transport).map(sample => {
    const bytes = writeMessage({ ...sample.spec, transport, protocol });
    return { sample, bytes };
  });
  const fixtures: CodecFixture[] = all.map(({ sample, bytes }) => ({
    name: `${transport} ${protocol} ${sample.label}`,
    bytes,
    expect: [{ ...sample.expect, length: bytes.length }],
    side: isCall(sample.expect) ? 'downstream' : 'upstream',
    carriesMutation: transport === 'header',
  }));
  // Pipelined: what a client sends (calls) on one connection, and what a server sends (replies).
  const sent = (side: 'downstream' | 'upstream') =>
    all.filter(({ sample }) => isCall(sample.expect) === (side === 'downstream'));
  for (const side of ['downstream', 'upstream'] as const) {
    fixtures.push({
      name: `${transport} ${protocol} pipelined ${side === 'downstream' ? 'calls' : 'replies'}`,
      bytes: Buffer.concat(sent(side).map(({ bytes }) => bytes)),
      expect: sent(side).map(({ sample, bytes }) => ({ ...sample.expect, bytes })),
      side,
      carriesMutation: transport === 'header',
    });
  }
  return fixtures;
}

/** One message written by the Apache library, for tests that need a single frame. */
export function sampleMessage(
  transport: Transport,
  protocol: Protocol,
  overrides: Partial<Omit<MessageSpec, 'transport' | 'protocol'>> = {},
): Buffer {
  return writeMessage({
    transport,
    protocol,
    name: 'Calculator:everything',
    type: CALL,
    seqid: 1,
    body: writeAllTypesArgs,
    headers: transport === 'header' ? HEADERS : undefined,
    ...overrides,
  });
}

/** A THeader frame around `payload` with a hand-written header block (padded here to whole words). */
export function theaderFrame(block: ArrayLike<number>, payload: Buffer, flags = 0, seqid = 1): Buffer {
  const padded = Buffer.alloc(Math.ceil(block.length / 4) * 4);
  padded.set(block);
  const out = Buffer.alloc(14 + padded.length + payload.length);
  out.writeInt32BE(out.length - 4, 0);
  out.writeUInt16BE(0x0fff, 4);
  out.writeUInt16BE(flags, 6);
  out.writeInt32BE(seqid, 8);
  out.writeUInt16BE(padded.length / 4, 12);
  padded.copy(out, 14);
  payload.copy(out, 14 + padded.length);
  return out;
}
