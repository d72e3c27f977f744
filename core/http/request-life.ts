/**
 * One client request's life in a handler: what every ingress (chat, embeddings, completions, Responses,
 * media, rerank, passthrough, count_tokens, a plugin's own dialect) shares around its own parsing and
 * rendering.
 *
 * - the request id, start time and abort signal (`startRequest`);
 * - shutdown may cut it (open-requests.ts): `cut` turns true and its signal aborts, the client still there;
 * - the end, exactly once: the meter record, which releases governance holds and slots. A handler calls
 *   `end` when it knows the outcome; `close` (its `finally`) calls it again as a safety net, so a throw
 *   anywhere (a renderer, a plugin's header, the socket) still meters and releases. The safety net builds
 *   its error lazily: a GatewayError (and its stack) on every request cost ~3% of CPU;
 * - an error answer in the client's dialect (`fail`), and an open upstream stream closed at the end.
 *
 * A class, so that a request costs one object (it is also the value of its entry in the open-requests
 * list), not one per step.
 */
import type Koa from 'koa';
import type { RequestContext } from '../context.js';
import { errors, type GatewayError } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import { asGatewayError, finishRequest } from '../pipeline.js';
import { type RequestStart, startRequest } from '../request-context.js';
import { clientClosed } from '../upstream.js';
import type { LiveEntry, LiveList } from '../live-list.js';
import { type Cuttable, openRequests } from './open-requests.js';
import { sendError } from './respond.js';

/** The error body of the client's dialect (`requestId`: the gateway's id for the request). */
export type ErrorBody = (err: GatewayError, requestId: string) => unknown;

export class RequestLife<C extends RequestContext = RequestContext> {
  readonly base: RequestStart;
  /** The request's context, once the handler has made it (createContext); no meter record without one. */
  ctx: C | undefined;
  /** Shutdown cut this request: its signal is aborted, but the client is still there. */
  cut = false;
  /** An upstream stream still open: closed when the request ends. */
  stream: { close(): Promise<void> } | undefined;
  #ended = false;
  /** The gateway's open requests, this one among them until close(). */
  readonly #open: LiveList<Cuttable>;
  readonly #entry: LiveEntry<Cuttable>;

  constructor(
    readonly gw: Gateway,
    readonly kctx: Koa.Context,
  ) {
    const base = startRequest(kctx);
    this.base = base;
    this.#open = openRequests(gw.hooks);
    this.#entry = this.#open.add(this);
  }

  /** Shutdown cuts this request (open-requests.ts): its signal aborts, the client still there. */
  cutNow(): void {
    this.cut = true;
    this.base.abort();
  }

  /** The meter record, once (later calls do nothing; nothing before there is a context). */
  end(status: number, error?: GatewayError | (() => GatewayError)): void {
    if (this.#ended || !this.ctx) return;
    this.#ended = true;
    finishRequest(this.gw, this.ctx, status, typeof error === 'function' ? error() : error);
  }

  /** What ends a request that threw: shutdown's 503, the client's leaving (499), or the error thrown. */
  failure(e: unknown): GatewayError {
    if (this.cut) return errors.shuttingDown();
    if (this.base.abortSource.aborted) return clientClosed();
    return asGatewayError(e, this.ctx ?? { id: this.base.id, log: this.gw.log });
  }

  /** Answer a request that threw before its answer started, in the client's dialect, and meter it. */
  fail(e: unknown, errorBody: ErrorBody): void {
    const err = this.failure(e);
    sendError(this.kctx, err, errorBody(err, this.base.id), this.ctx);
    this.end(err.status, err);
  }

  /**
   * The handler's `finally`: no longer cuttable, the upstream stream closed, the meter record for sure.
   * A promise only when a stream has to be closed (the common answer needs no await).
   */
  close(): Promise<void> | undefined {
    this.#open.remove(this.#entry);
    if (this.stream) return this.stream.close().then(() => this.end(500, () => errors.internal(this.base.id)));
    this.end(500, () => errors.internal(this.base.id));
    return undefined;
  }
}
