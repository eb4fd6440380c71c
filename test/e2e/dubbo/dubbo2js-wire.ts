/**
 * Frames exactly as the real dubbo2.js client writes them: its own request encoder and call context
 * (`dubbo2.js/es7/encode.js`, `context.js`), with its pinned hessian.js, and its own response decoder
 * (`decode.js`) and heartbeat frame, called without a socket.
 */
import contextModule from 'dubbo2.js/es7/context.js';
import decodeModule from 'dubbo2.js/es7/decode.js';
import encoderModule from 'dubbo2.js/es7/encode.js';
import heartbeatModule from 'dubbo2.js/es7/heartbeat.js';

export interface Dubbo2jsCall {
  readonly requestId: number;
  readonly dubboVersion?: string;
  readonly service: string;
  readonly version?: string;
  readonly group?: string;
  readonly timeout?: number;
  readonly method: string;
  /** Arguments as js-to-java values (dubbo2.js derives the parameter types from their classes). */
  readonly args?: readonly unknown[];
  /** Custom attachments (what a dubbo2.js middleware sets on `ctx.attachments`). */
  readonly attachments?: Readonly<Record<string, unknown>>;
}

/** The request frame dubbo2.js writes for `call`. */
export function dubbo2jsRequestFrame(call: Dubbo2jsCall): Buffer {
  const ctx = contextModule.default.create();
  ctx.requestId = call.requestId;
  ctx.methodName = call.method;
  ctx.methodArgs = [...(call.args ?? [])];
  ctx.dubboVersion = call.dubboVersion ?? '2.0.2';
  ctx.dubboInterface = call.service;
  ctx.path = call.service;
  if (call.version !== undefined) ctx.version = call.version;
  if (call.group !== undefined) ctx.group = call.group;
  if (call.timeout !== undefined) ctx.timeout = call.timeout;
  if (call.attachments !== undefined) ctx.attachments = { ...call.attachments };
  return new encoderModule.default(ctx).encode();
}

/** The heartbeat frame dubbo2.js writes on idle connections. */
export function dubbo2jsHeartbeatFrame(): Buffer {
  return heartbeatModule.default.encode();
}

/** What dubbo2.js makes of a response frame (the object its socket worker hands to the caller). */
export const dubbo2jsDecodeResponse = decodeModule.decode;
