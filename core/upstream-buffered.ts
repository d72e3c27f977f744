/**
 * One upstream call whose whole answer is wanted at once (a JSON answer): undici's dispatcher driven
 * with a handler that collects the body's chunks, instead of its `request` API. `request` wraps every
 * call in an AsyncResource and the answer in a Readable stream, then the body is read back out of
 * that stream: ~10% of a zero-config request's CPU in bench/, for bytes that end up in one Buffer.
 *
 * The semantics are `request`'s: the same dispatcher options (headers and body timeouts), the call
 * cancelled when `signal` aborts (undici's error for it, or the signal's reason), transport errors
 * rejected as undici raises them (the caller maps them, core/upstream.ts transportError), wrapped in
 * `AnswerCut` when they came after the answer's headers (a body cut short). Past `limit`
 * bytes (a larger Content-Length, or a body that grows past it) the call is aborted and rejects with
 * an error whose code is UPSTREAM_RESPONSE_TOO_LARGE.
 */
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import { type AbortSource, onAbort } from './abort.js';

const requireFromHere = createRequire(import.meta.url);
// The same parser undici's request API uses for the answer's headers (lower-case names, repeated
// headers as arrays); undici's major is pinned in package.json.
export const { parseHeaders } = requireFromHere('undici/lib/core/util.js') as {
  parseHeaders(raw: Buffer[] | null, into?: Record<string, string | string[]>): Record<string, string | string[]>;
};
export const { RequestAbortedError } = requireFromHere('undici/lib/core/errors.js') as {
  RequestAbortedError: new (message?: string) => Error;
};

/** A whole upstream answer. */
export interface BufferedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type BufferedOptions = Omit<Dispatcher.DispatchOptions, 'signal'> & { signal?: AbortSource };

/** A failure after the answer's headers arrived (the body was cut short, or too large): `cause` says why. */
export class AnswerCut extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

export function tooLargeError(limit: number): Error {
  return Object.assign(new Error(`the upstream's answer is larger than ${limit} bytes`), {
    code: 'UPSTREAM_RESPONSE_TOO_LARGE',
    limit,
  });
}

/** Send one request on `dispatcher` and resolve with its whole answer (any status). */
export function requestBuffered(
  dispatcher: Dispatcher,
  options: BufferedOptions,
  limit: number,
): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    const handler = new BufferedHandler(resolve, reject, limit, options.signal);
    const { signal: _, ...dispatch } = options;
    dispatcher.dispatch(dispatch as Dispatcher.DispatchOptions, handler);
  });
}

/**
 * What both dispatch handlers (this file's and core/upstream-streamed.ts's) share: the call tied to the
 * request's abort source. An aborted source aborts the call at once; later, the source's abort does.
 */
export class AbortableHandler {
  protected abortCall: ((reason?: Error) => void) | undefined = undefined;
  protected stopListening: (() => void) | undefined = undefined;

  constructor(protected readonly signal: AbortSource | undefined) {}

  onConnect(abort: (reason?: Error) => void): void {
    const signal = this.signal;
    if (signal?.aborted) {
      abort(reasonOf(signal));
      return;
    }
    this.abortCall = abort;
    if (signal && !this.stopListening) this.stopListening = onAbort(signal, () => abort(reasonOf(signal)));
  }
}

/** undici's dispatch handler (the callback interface its own request API implements). */
class BufferedHandler extends AbortableHandler {
  #status = 0;
  #headers: Record<string, string | string[]> | undefined = undefined;
  #parts: Buffer[] = [];
  #size = 0;
  #settled = false;

  constructor(
    readonly resolve: (r: BufferedResponse) => void,
    readonly reject: (e: unknown) => void,
    readonly limit: number,
    signal: AbortSource | undefined,
  ) {
    super(signal);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, _message: string): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    this.#status = statusCode;
    this.#headers = parseHeaders(rawHeaders);
    const declared = Number(this.#headers['content-length']);
    if (declared > this.limit) this.abortCall?.(tooLargeError(this.limit));
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#size += chunk.length;
    if (this.#size > this.limit) {
      this.abortCall?.(tooLargeError(this.limit));
      return false;
    }
    this.#parts.push(chunk);
    return true;
  }

  onComplete(_trailers: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.stopListening?.();
    const parts = this.#parts;
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts, this.#size);
    this.resolve({ statusCode: this.#status, headers: this.#headers ?? {}, body });
  }

  onError(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.stopListening?.();
    this.reject(this.#headers ? new AnswerCut(err) : err);
  }

  onUpgrade(): void {
    this.onError(new Error('unexpected upgrade'));
  }
}

function reasonOf(signal: AbortSource): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new RequestAbortedError();
}
