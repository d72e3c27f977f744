/**
 * The model endpoints in the gateway's own server, answered without Koa.
 *
 * `listen()` starts a node:http server whose handler sends `POST` requests for a hot route (the model
 * endpoints, see gateway.ts `hotRoutes`) straight to their handler when that handler is one of the
 * core's own (`chatHandler`, `embeddingsHandler`: marked with `markDirect`) and the app still runs only
 * the gateway's middleware. Everything else goes through Koa as before. Koa would build its context,
 * request and response objects and an on-finished listener pair for every request (~4.6 KB of the
 * ~58 KB a zero-config request allocated in bench/), none of which these handlers need.
 *
 * The handler gets a `DirectContext`: the members of a Koa context that the core's handlers use (req,
 * res, app, headers, get, set, respond, request), with Koa's semantics. The request still gets its
 * context from the one entry point (core/request-context.ts) and passes auth -> route -> admit ... ->
 * meter inside the handler: only Koa's plumbing is skipped. A gateway mounted as middleware in
 * another app (library mode) never takes this path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';

const direct = new WeakSet<Koa.Middleware>();

/** Mark a handler of the core as servable without Koa (it uses only DirectContext's members). */
export function markDirect<T extends Koa.Middleware>(handler: T): T {
  direct.add(handler);
  return handler;
}

export const isDirect = (handler: Koa.Middleware): boolean => direct.has(handler);

/** What the core's handlers read of a Koa context, for a request served without Koa. */
export class DirectContext {
  /** Koa's flag: false once a handler has written the answer itself (always, in the core's handlers). */
  respond = true;
  /** Where a host app's body parser would have left the body: never, in the gateway's own server. */
  readonly request = {};
  /**
   * The request's id (startRequest). Through Koa it is set as a response header at once; here every
   * answer the core's handlers write carries it in the headers of its one writeHead, because a header
   * set before writeHead sends node:http down its slow path (setHeader, with its checks, per header).
   */
  requestId: string | undefined = undefined;

  constructor(
    readonly app: Koa,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}

  get headers(): IncomingMessage['headers'] {
    return this.req.headers;
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** Koa's `ctx.get`: a request header's value, '' when absent (referer and referrer are one). */
  get(field: string): string {
    const name = field.toLowerCase();
    const h = this.req.headers;
    const v = name === 'referer' || name === 'referrer' ? (h.referrer ?? h.referer) : h[name];
    return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
  }

  /** Koa's `ctx.set`: one response header, or several from an object. */
  set(field: string | Record<string, unknown>, value?: unknown): void {
    if (typeof field !== 'string') {
      for (const key of Object.keys(field)) this.set(key, field[key]);
      return;
    }
    if (this.res.headersSent) return;
    this.res.setHeader(field, Array.isArray(value) ? value.map(String) : String(value));
  }
}

/** The request id of a request served without Koa (not yet a response header there); else undefined. */
export const directRequestId = (kctx: object): string | undefined =>
  kctx instanceof DirectContext ? kctx.requestId : undefined;

/** The path of a request target in origin form ('/v1/x?y' -> '/v1/x'); undefined for any other form. */
export function originPath(url: string | undefined): string | undefined {
  if (!url || url.charCodeAt(0) !== 47 /* '/' */) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
