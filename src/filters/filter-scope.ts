/**
 * The scope a plugin's filter runs in, so that an error thrown by code it started for a request —
 * a timer, an immediate, a promise that rejects unhandled — fails that request rather than the whole
 * process. Each call into a plugin's filter runs inside an AsyncLocalStorage frame naming the
 * request and the filter; Node carries the frame into every callback and promise the call creates,
 * and the process's uncaught-exception capture (installed once, when the first plugin filter is made)
 * reads it back: the request is answered `internal`, counted and logged with the filter's name.
 *
 * Built-in filters do not run in a scope: they are aeraki's own code, and their timers catch what
 * they run. Only listeners that configure a plugin filter pay for the frames.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { inspect } from 'node:util';
import type { DecoderFilter, EncoderFilter, Filter, FilterStatus, RequestContext } from './filter.js';
import { isDecoderFilter, isEncoderFilter } from './filter.js';

/** The request a scoped call was made for, able to take the blame for a later error. */
export interface ScopedRequest extends RequestContext {
  /** The filter `name` threw for this request (now or in code it started): count, log, answer. */
  failInFilter(name: string, err: unknown): void;
}

class FilterFrame {
  constructor(
    readonly request: ScopedRequest,
    readonly filter: string,
  ) {}
}

const scope = new AsyncLocalStorage<FilterFrame>();

function callOnRequest(filter: DecoderFilter, ctx: RequestContext): FilterStatus {
  return filter.onRequest(ctx);
}

function callOnResponse(filter: EncoderFilter, ctx: RequestContext): FilterStatus {
  return filter.onResponse(ctx);
}

/** A plugin's decoder filter, called inside its scope. */
class ScopedDecoder implements DecoderFilter {
  constructor(
    readonly name: string,
    private readonly inner: DecoderFilter,
  ) {}
  get stats(): object | undefined {
    return this.inner.stats;
  }
  onRequest(ctx: RequestContext): FilterStatus {
    return scope.run(new FilterFrame(ctx as ScopedRequest, this.name), callOnRequest, this.inner, ctx);
  }
}

/** A plugin's encoder filter, called inside its scope. */
class ScopedEncoder implements EncoderFilter {
  constructor(
    readonly name: string,
    private readonly inner: EncoderFilter,
  ) {}
  get stats(): object | undefined {
    return this.inner.stats;
  }
  onResponse(ctx: RequestContext): FilterStatus {
    return scope.run(new FilterFrame(ctx as ScopedRequest, this.name), callOnResponse, this.inner, ctx);
  }
}

/** A plugin's filter as a listener runs it: its decoder and encoder sides, each scoped. */
export interface ScopedFilter {
  readonly decoder: DecoderFilter | undefined;
  readonly encoder: EncoderFilter | undefined;
}

/**
 * Wraps a plugin's filter, registered as `name`, so that every call, and what it starts, runs in the
 * request's scope.
 */
export function scopeFilter(filter: Filter, name: string): ScopedFilter {
  installCapture();
  return {
    decoder: isDecoderFilter(filter) ? new ScopedDecoder(name, filter) : undefined,
    encoder: isEncoderFilter(filter) ? new ScopedEncoder(name, filter) : undefined,
  };
}

/**
 * Runs `run(arg)` outside any plugin filter's scope: what a filter resumes (the rest of the chain, the
 * router, the upstream connections it opens) is not the filter's, and must neither be blamed on it
 * nor keep its request alive through the async resources it creates.
 */
export function outsideFilterScope<A>(run: (arg: A) => void, arg: A): void {
  if (scope.getStore() === undefined) run(arg);
  else scope.exit(run, arg);
}

let installed = false;
let captureMissing = false;

/**
 * Whether errors thrown later by plugin filters' code are traced back to their requests: false when
 * something else in the process owns the uncaught-exception capture (the `domain` module does).
 */
export function asyncFilterErrorsCaptured(): boolean {
  return installed && !captureMissing;
}

function installCapture(): void {
  if (installed) return;
  installed = true;
  if (process.hasUncaughtExceptionCaptureCallback()) {
    captureMissing = true;
    return;
  }
  process.setUncaughtExceptionCaptureCallback(onUncaught);
  process.on('unhandledRejection', onUnhandledRejection);
}

/**
 * A promise rejected in a plugin filter's scope with no handler fails its request. Any other one
 * goes on as Node would have it: to the other listeners when there are some, else it is raised as an
 * uncaught exception (Node's default, `--unhandled-rejections=throw`).
 */
function onUnhandledRejection(reason: unknown): void {
  const frame = scope.getStore();
  if (frame !== undefined) {
    frame.request.failInFilter(frame.filter, reason);
    return;
  }
  if (process.listenerCount('unhandledRejection') > 1) return;
  throw reason;
}

/**
 * Node calls this instead of emitting 'uncaughtException' (also for a rejection raised as one). An
 * error raised in a plugin filter's scope fails its request; anything else goes on as Node would
 * have it: to the 'uncaughtException' listeners if there are any, else the process ends, code 1.
 */
function onUncaught(err: unknown): void {
  const frame = scope.getStore();
  if (frame !== undefined) {
    frame.request.failInFilter(frame.filter, err);
    return;
  }
  if (process.listenerCount('uncaughtException') > 0) {
    const emit = process.emit as (event: string, ...args: unknown[]) => boolean;
    emit.call(process, 'uncaughtException', err, 'uncaughtException');
    return;
  }
  process.stderr.write(`Uncaught ${inspect(err)}\n`);
  process.exit(1);
}
