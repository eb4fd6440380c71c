/**
 * Raw framed binary Thrift calls of HelloService, built byte by byte for the attack clients (which
 * must write faster, or stranger, than a library client would):
 *
 *   frame   := size:i32 message
 *   message := 0x8001:i16 0:i8 type:i8 name:string seqid:i32 args:struct   (type 1 = CALL)
 *   string  := length:i32 bytes
 *   struct  := (fieldType:i8 fieldId:i16 value)* 0:i8     (11 = string, 8 = i32)
 */

/** A framed CALL of `method` whose argument struct is `fields` (already encoded) followed by STOP. */
export function framedCall(method: string, seqid: number, fields: readonly Buffer[] = []): Buffer {
  const name = Buffer.from(method);
  const head = Buffer.alloc(4 + 4 + 4 + name.length + 4);
  let at = 4;
  at = head.writeUInt32BE(0x80010001, at);
  at = head.writeInt32BE(name.length, at);
  at += name.copy(head, at);
  head.writeInt32BE(seqid, at);
  const frame = Buffer.concat([head, ...fields, Buffer.from([0])]);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** A string (or binary) field. */
export function stringField(id: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const field = Buffer.alloc(1 + 2 + 4);
  field.writeUInt8(11, 0);
  field.writeInt16BE(id, 1);
  field.writeInt32BE(bytes.length, 3);
  return Buffer.concat([field, bytes]);
}

/** An i32 field. */
export function i32Field(id: number, value: number): Buffer {
  const field = Buffer.alloc(1 + 2 + 4);
  field.writeUInt8(8, 0);
  field.writeInt16BE(id, 1);
  field.writeInt32BE(value, 3);
  return field;
}

/** `sayHello(name)`. */
export function sayHelloCall(seqid: number, name: string): Buffer {
  return framedCall('sayHello', seqid, [stringField(1, name)]);
}

/** `blob(size)`: a small call asking for `size` bytes back. */
export function blobCall(seqid: number, size: number): Buffer {
  return framedCall('blob', seqid, [i32Field(1, size)]);
}

/**
 * The first `sent` bytes of a framed `echo` call whose frame declares `declared` bytes: what a client
 * that stalls mid-frame has written.
 */
export function partialEchoCall(declared: number, sent: number): Buffer {
  const head = framedCall('echo', 1);
  // echo's payload field header goes where the STOP byte was; its length fills the frame.
  const prefix = head.subarray(0, head.length - 1);
  const payloadLength = declared - (prefix.length - 4) - 7 - 1;
  const field = Buffer.alloc(7);
  field.writeUInt8(11, 0);
  field.writeInt16BE(1, 1);
  field.writeInt32BE(payloadLength, 3);
  const start = Buffer.concat([prefix, field]);
  start.writeInt32BE(declared, 0);
  if (sent <= start.length) return start.subarray(0, sent);
  return Buffer.concat([start, Buffer.alloc(sent - start.length)]);
}
