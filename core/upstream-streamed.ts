/**
 * One upstream call whose answer is read as it arrives (a server-sent event stream): undici's
 * dispatcher driven with a handler that hands the body's pieces to one reader, instead of its
 * `request` API. `request` wraps every call in an AsyncResource and the body in a Readable stream,
 * whose async iterator costs several promises and event emissions per piece; on a streamed answer
 * that is paid for every chunk, and on the first one it is time the client waits for (bench/).
 *
 * The semantics are `request`'s: the same dispatcher options (headers and body timeouts: a silence
 * between pieces longer than the body timeout fails the read), the call cancelled when `signal`
 * aborts, transport errors as undici raises them (the caller maps them, core/upstream.ts). The
 * promise resolves at the answer's headers; the body's pieces queue until read, and past
 * HIGH_WATER bytes not yet read the socket is paused until the reader catches up (backpressure).
 *
 * A reader that stops early says how with `release(complete)`: after the protocol's last event
 * (`complete`), the rest is drained so the connection goes back to the pool; otherwise the call is
 * aborted, which closes the connection. Breaking out of a `for await` does neither (as a Readable's
 * `iterator({ destroyOnReturn: false })`): release() is the reader's job (core/sse.ts SseReader).
 */
import type { Dispatcher } from 'undici';
import type { AbortSource } from './abort.js';
import { AbortableHandler, type BufferedOptions, parseHeaders, RequestAbortedError } from './upstream-buffered.js';

/** Bytes received and not yet read past which the socket is paused (a Readable's default is 64 KiB). */
const HIGH_WATER = 64 * 1024;

/** An upstream answer whose body is still arriving. */
export interface StreamedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/** Send one request on `dispatcher`; resolves at the answer's headers (any status). */
export function requestStreamed(dispatcher: Dispatcher, options: BufferedOptions): Promise<StreamedResponse> {
  return new Promise((resolve, reject) => {
    const { signal, ...dispatch } = options;
    dispatcher.dispatch(dispatch as Dispatcher.DispatchOptions, new UpstreamBody(resolve, reject, signal));
  });
}

type Waiter = { resolve(r: IteratorResult<Buffer>): void; reject(e: unknown): void };

const DONE: IteratorResult<Buffer> = Object.freeze({ done: true, value: undefined });

/**
 * The body of a streamed answer, read once, in order: an async iterator of its pieces (Buffers). It is
 * also undici's dispatch handler for the call (the callback interface undici's own request API
 * implements), so that a piece goes from the parser to the waiting reader without a stream between.
 */
export class UpstreamBody extends AbortableHandler implements AsyncIterableIterator<Buffer> {
  #resume: (() => void) | undefined = undefined;
  #started = false;
  #queue: Buffer[] = [];
  #queued = 0;
  #paused = false;
  #waiter: Waiter | undefined = undefined;
  /** undici is done with the call: the whole answer arrived, or it failed. */
  #finished = false;
  #error: unknown = undefined;
  /** The reader let go: later pieces are dropped (drained), or the call was aborted. */
  #released = false;

  constructor(
    private readonly resolveHead: (r: StreamedResponse) => void,
    private readonly rejectHead: (e: unknown) => void,
    signal: AbortSource | undefined,
  ) {
    super(signal);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next piece of the body; done at its end; rejects with the transport's error if it broke. */
  next(): Promise<IteratorResult<Buffer>> {
    if (this.#queue.length) {
      const piece = this.#queue.shift() as Buffer;
      this.#queued -= piece.length;
      if (this.#paused && this.#queued < HIGH_WATER) {
        this.#paused = false;
        this.#resume?.();
      }
      return Promise.resolve({ done: false, value: piece });
    }
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#finished || this.#released) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Leaving a `for await` keeps the call as it is: release() says what becomes of the rest. */
  return(): Promise<IteratorResult<Buffer>> {
    return Promise.resolve(DONE);
  }

  /**
   * Stop reading. `complete`: the protocol's last event has arrived, so the rest (usually only the end
   * of the chunked encoding) is drained and the connection kept; otherwise the call is aborted.
   */
  release(complete: boolean): void {
    if (this.#released) return;
    this.#released = true;
    this.#queue = [];
    this.#queued = 0;
    this.#settleWaiter(DONE);
    if (this.#finished) return;
    if (complete) {
      if (this.#paused) {
        this.#paused = false;
        this.#resume?.();
      }
      return;
    }
    this.abortCall?.(new RequestAbortedError('the reader stopped before the end of the answer'));
  }

  /** Read the rest of the body into one Buffer, at most `limit` bytes (an error answer's body). */
  async collect(limit: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for (let r = await this.next(); !r.done; r = await this.next()) {
        parts.push(r.value);
        size += r.value.length;
        if (size >= limit) break;
      }
    } finally {
      this.release(false);
    }
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    return all.length > limit ? all.subarray(0, limit) : all;
  }

  // undici's dispatch handler (onConnect: AbortableHandler's)

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, _message: string): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    this.#resume = resume;
    this.#started = true;
    this.resolveHead({ statusCode, headers: parseHeaders(rawHeaders), body: this });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#released) return true; // drained
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= HIGH_WATER) this.#paused = true;
    return !this.#paused;
  }

  onComplete(_trailers: unknown): void {
    this.#finished = true;
    this.stopListening?.();
    this.#settleWaiter(DONE);
  }

  onError(err: Error): void {
    this.#finished = true;
    this.stopListening?.();
    if (!this.#started) {
      this.rejectHead(err);
      return;
    }
    if (this.#released) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.reject(err);
    } else this.#error = err; // after the pieces already queued
  }

  onUpgrade(): void {
    this.onError(new Error('unexpected upgrade'));
  }

  #settleWaiter(result: IteratorResult<Buffer>): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    waiter.resolve(result);
  }
}
