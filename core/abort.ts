/**
 * A request's abort source, made cheap: most requests are never aborted, and an `AbortController`
 * (an EventTarget with its own listener machinery) per request, plus the listener undici adds to it
 * for every upstream call, cost ~3% of a zero-config request's CPU in bench/.
 *
 * `RequestAbort` is what the gateway itself keeps per request. Its `signal` is a real `AbortSignal`,
 * made on first read (a plugin reading `ctx.signal`, an adapter reading `call.signal`) and aborted
 * whenever the request is, also when it was aborted before the read. The core's own upstream calls
 * never read it: they hand the source itself to undici, which accepts an emitter with `aborted`,
 * `on`/`once` and `removeListener` (lib/api/abort-signal.js, lib/core/util.js addAbortListener).
 */

type Listener = () => void;

export class RequestAbort {
  aborted = false;
  /** Why it was aborted (undici reads it to reject the call it cancels). */
  reason: unknown = undefined;
  #controller: AbortController | undefined = undefined;
  #listeners: Listener[] | undefined = undefined;

  /** A real AbortSignal that follows this source (made on first read). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Abort once: the signal (if made) and every listener. A listener's throw does not stop the others. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? abortError();
    this.#controller?.abort(this.reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (!listeners) return;
    for (const fn of listeners) {
      try {
        fn();
      } catch {
        /* one listener's failure must not keep the others from hearing of the abort */
      }
    }
  }

  /** EventEmitter-style subscription ('abort' is the only event), called at most once. */
  on(event: string, fn: Listener): this {
    if (event === 'abort' && !this.aborted) (this.#listeners ??= []).push(fn);
    return this;
  }

  once(event: string, fn: Listener): this {
    return this.on(event, fn);
  }

  addListener(event: string, fn: Listener): this {
    return this.on(event, fn);
  }

  removeListener(event: string, fn: Listener): this {
    const list = this.#listeners;
    if (event !== 'abort' || !list) return this;
    const i = list.lastIndexOf(fn);
    if (i !== -1) list.splice(i, 1);
    return this;
  }

  off(event: string, fn: Listener): this {
    return this.removeListener(event, fn);
  }
}

/** An abort source: a request's own (cheap) or any AbortSignal (a plugin's, a per-attempt controller's). */
export type AbortSource = RequestAbort | AbortSignal;

/** The AbortSignal of a source (a RequestAbort's is made on this first read). */
export function signalOf(source: AbortSource): AbortSignal {
  return source instanceof RequestAbort ? source.signal : source;
}

/** Call `fn` once when `source` aborts (now, when it already has); returns how to stop listening. */
export function onAbort(source: AbortSource, fn: Listener): () => void {
  if (source.aborted) {
    fn();
    return noop;
  }
  if (source instanceof RequestAbort) {
    source.on('abort', fn);
    return () => source.removeListener('abort', fn);
  }
  source.addEventListener('abort', fn, { once: true });
  return () => source.removeEventListener('abort', fn);
}

const noop = () => undefined;

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
