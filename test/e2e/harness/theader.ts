/**
 * Working THeader on top of the npm `thrift` 0.24 library, whose own THeader support has two defects
 * (reference/peers.md §2): its generated clients flush the transport instead of the THeader protocol,
 * so no THeader frame is ever written; and its reader throws when a frame arrives split across socket
 * reads. Here the client transport writes the THeader before every flush, and both sides hand the
 * library one whole frame at a time, each in a fresh transport (the library also keeps read headers
 * and the sub-protocol in per-transport state, which concurrent replies would otherwise share).
 *
 * THeader frame (HeaderFormat.md): i32 BE length of the rest | u16 magic 0x0FFF | u16 flags |
 * i32 seqid | u16 header length / 4 | varint protocol id | varint transform count | info headers
 * (varint type 1, varint count, count × (varint-length key, varint-length value)) | padding | message.
 */
import { thrift, type TTransportClass, type TTransportInstance } from './thrift-lib.js';

/** The largest frame the harness accepts; bigger length words mean the stream is not THeader. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** THeader's magic in bytes 4..5 of a frame. */
export const THEADER_MAGIC = 0x0fff;

/** Cuts a byte stream into whole length-prefixed frames (the 4-byte length word included). */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds `data` and returns the frames it completes, in order. Throws on an impossible length. */
  push(data: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new Error(`frame length ${length} exceeds ${MAX_FRAME_BYTES}`);
      if (this.pending.length < 4 + length) break;
      frames.push(this.pending.subarray(0, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return frames;
  }
}

/** A library transport whose read buffer holds exactly `frame`. */
export function transportOverFrame(frame: Buffer, onFlush?: (buf: Buffer) => void): TTransportInstance {
  const transport = new thrift.TBufferedTransport(undefined, onFlush);
  transport.inBuf = Buffer.from(frame);
  transport.readCursor = 0;
  transport.writeCursor = frame.length;
  return transport;
}

/** What a THeader frame carries, read with the library's own THeader reader. */
export interface THeaderFrameInfo {
  readonly headers: Record<string, string>;
  readonly name: string;
  readonly type: number;
  readonly seqid: number;
  readonly protocolId: number;
}

/** Reads the info headers and the message envelope of one whole THeader frame. */
export function readTHeaderFrame(frame: Buffer): THeaderFrameInfo {
  const transport = transportOverFrame(frame);
  const protocol = new thrift.THeaderProtocol(transport);
  const begin = protocol.readMessageBegin();
  return {
    headers: { ...transport.getReadHeaders() },
    name: begin.fname,
    type: begin.mtype,
    seqid: begin.rseqid,
    protocolId: transport.getProtocolId(),
  };
}

/**
 * A client transport class for `thrift.createConnection` that really speaks THeader.
 * `onResponseFrame` sees every whole response frame before the library decodes it.
 */
export function theaderClientTransport(onResponseFrame: (frame: Buffer) => void): TTransportClass {
  const Base = thrift.TBufferedTransport as unknown as new (
    buffer?: Buffer,
    onFlush?: (buf: Buffer, seqid?: number) => void,
  ) => TTransportInstance & { outCount: number; client?: { seqid(): number } };

  class THeaderClientTransport extends Base {
    static receiver(callback: (transport: TTransportInstance) => void): (data: Buffer) => void {
      const splitter = new FrameSplitter();
      return data => {
        for (const frame of splitter.push(data)) {
          onResponseFrame(frame);
          callback(transportOverFrame(frame));
        }
      };
    }

    override flush(): void {
      if (this.outCount > 0) {
        this.setSeqId(this.client?.seqid() ?? 0);
        this.writeHeaders();
      }
      super.flush();
    }
  }
  return THeaderClientTransport as unknown as TTransportClass;
}
