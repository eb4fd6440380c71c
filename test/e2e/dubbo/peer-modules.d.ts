/**
 * Types for the parts of the Dubbo peers' libraries the tests use: `hessian.js` and `js-to-java` ship
 * none, and dubbo2.js types only its public API, not the wire modules the tests call directly.
 */

declare module 'hessian.js' {
  /** hessian.js's ByteBuffer, as far as the tests read it. */
  interface HessianByteBuffer {
    position(): number;
    position(offset: number): void;
  }
  interface EncoderV2 {
    write(value: unknown): this;
    writeInt(value: number): this;
    writeString(value: string): this;
    writeNull(): this;
    get(): Buffer;
    reset(): void;
  }
  interface DecoderV2 {
    byteBuffer: HessianByteBuffer;
    read(withType?: boolean): unknown;
    readInt(): number;
    readString(): string;
    init(buffer: Buffer): this;
  }
  const hessian: {
    EncoderV2: new (options?: { size?: number }) => EncoderV2;
    DecoderV2: new (buffer?: Buffer) => DecoderV2;
  };
  export default hessian;
}

declare module 'js-to-java' {
  /** A value tagged with its Java class for hessian.js. */
  interface JavaValue {
    readonly $class: string;
    readonly $: unknown;
  }
  interface JavaFactory {
    (className: string, value: unknown): JavaValue;
    String(value: string): JavaValue;
    int(value: number): JavaValue;
    long(value: number | string): JavaValue;
    double(value: number): JavaValue;
    boolean(value: boolean): JavaValue;
    Map(value: Record<string, unknown>): JavaValue;
    List(value: unknown[]): JavaValue;
    array(className: string, value: unknown[]): JavaValue;
    exception(error: Error, className?: string): JavaValue;
  }
  const java: JavaFactory;
  export default java;
}

declare module 'dubbo2.js/es7/decode.js' {
  /** dubbo2.js's response decoder (what its socket worker runs on every frame). */
  export function decode(bytes: Buffer): {
    requestId: number;
    err: Error | null;
    res: unknown;
    attachments: Record<string, unknown>;
  };
}

declare module 'dubbo2.js/es7/heartbeat.js' {
  /** dubbo2.js's heartbeat frame (what its socket worker writes every 180 s). */
  const heartbeat: { default: { encode(): Buffer; isHeartBeat(frame: Buffer): boolean } };
  export default heartbeat;
}

declare module 'dubbo2.js/es7/context.js' {
  /** dubbo2.js's per-call context, as its proxies fill it before encoding. */
  interface DubboContext {
    requestId: number;
    methodName: string;
    methodArgs: unknown[];
    dubboVersion: string;
    dubboInterface: string;
    path: string;
    version: string;
    group: string;
    timeout: number;
    attachments: Record<string, unknown>;
  }
  const context: { default: { create(): DubboContext } };
  export default context;
}

declare module 'dubbo2.js/es7/encode.js' {
  import type { DubboContext } from 'dubbo2.js/es7/context.js';
  /** dubbo2.js's request encoder (what its socket worker writes for every call). */
  const encoder: { default: new (context: DubboContext) => { encode(): Buffer } };
  export default encoder;
}
