/**
 * Writing answers. In the gateway's own Koa app (standalone `listen()`), nothing runs after our
 * handlers, so a JSON answer goes straight to node:http (one writeHead + end) instead of through
 * Koa's response setters and `respond` (~5% of a request's CPU in bench/). Mounted into someone
 * else's Koa app (library mode), their middleware may read or change status and body after us, so
 * it goes through Koa there.
 *
 * Response headers can carry client text (a model name routed as `provider/<anything>`, the body
 * fields listed in x-switchyard-dropped-params). node:http throws on a header value with a character
 * outside Latin-1 or a control character, and a throw while answering must never leave a request
 * without an answer. So every header passes `headerValue`: printable ASCII is sent as is; any other
 * value is sent percent-encoded (UTF-8, `%` included, as encodeURIComponent would), and header names
 * that are not HTTP tokens are dropped. `sendError` never throws: whatever went wrong before, the
 * client gets an answer (or, mid-stream, a closed connection).
 */
import type { ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { RequestContext } from '../context.js';
import type { GatewayError } from '../errors.js';
import { directRequestId } from './direct.js';

const OWN_APP = Symbol('switchyard.ownApp');

/** Mark the Koa app that createGateway made (and that only Switchyard's middleware runs in). */
export function markOwnApp(app: Koa): void {
  (app as unknown as Record<symbol, boolean>)[OWN_APP] = true;
}

const isOwnApp = (kctx: Koa.Context) => (kctx.app as unknown as Record<symbol, boolean>)[OWN_APP] === true;

const PRINTABLE = /^[\x20-\x7E]*$/;
const UNSAFE = /[^\x20-\x7E]+|%/g;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const percentEncode = (s: string): string => {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
};

/** A header value node:http accepts: printable ASCII as is, anything else percent-encoded (UTF-8). */
export function headerValue(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return PRINTABLE.test(s) ? s : s.replace(UNSAFE, percentEncode);
}

/** Copy headers, rendering every value with headerValue and dropping names that are not HTTP tokens. */
export function safeHeaders(...sources: Array<Record<string, unknown> | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of sources) {
    if (!src) continue;
    for (const name of Object.keys(src)) {
      if (!TOKEN.test(name)) continue;
      try {
        const v = src[name];
        if (v !== undefined && v !== null) out[name] = headerValue(v);
      } catch {
        // a plugin's header whose value cannot be read is left out rather than failing the answer
      }
    }
  }
  return out;
}

/** The x-switchyard-* headers of a request (request id, target, attempts, cache) plus ctx.responseHeaders. */
export function responseHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = { 'x-request-id': ctx.id };
  if (ctx.target) {
    h['x-switchyard-provider'] = ctx.target.provider;
    h['x-switchyard-model'] = ctx.target.model;
  }
  if (ctx.attempts.length) h['x-switchyard-attempts'] = String(ctx.attempts.length);
  if (ctx.cache) h['x-switchyard-cache'] = ctx.cache;
  return safeHeaders(h, ctx.responseHeaders);
}

/**
 * Write a JSON answer. `headers` must come from safeHeaders/responseHeaders. May throw (caller answers with
 * sendError).
 */
export function writeJson(kctx: Koa.Context, status: number, headers: Record<string, string>, body: string): void {
  const res = kctx.res;
  if (isOwnApp(kctx) && !res.headersSent) {
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    kctx.respond = false; // only once the head is written: a throw above leaves Koa in charge
    res.end(body);
    return;
  }
  kctx.set(headers);
  kctx.status = status;
  kctx.type = 'application/json';
  kctx.body = body;
}

/**
 * Answer an error. Never throws. Before the head is written: the error JSON with the request's
 * headers (those that can be read) and the error's own; when a stream has already started (head
 * sent), the connection is closed so the client does not wait forever.
 */
export function sendError(kctx: Koa.Context, err: GatewayError, body: unknown, ctx?: RequestContext): void {
  const res = kctx.res;
  try {
    let headers: Record<string, string>;
    // Served without Koa, the request id is not a response header yet (DirectContext.requestId).
    const id = ctx?.id ?? directRequestId(kctx);
    try {
      headers = safeHeaders(ctx ? responseHeaders(ctx) : { 'x-request-id': id }, err.headers);
    } catch {
      headers = safeHeaders({ 'x-request-id': id }, err.headers);
    }
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (kctx.respond === false || isOwnApp(kctx)) {
      writeHeadAndEnd(res, err.status, headers, JSON.stringify(body));
      kctx.respond = false;
      return;
    }
    kctx.set(headers);
    kctx.status = err.status;
    kctx.body = body;
  } catch {
    lastResort(kctx, res);
  }
}

function writeHeadAndEnd(res: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(status, headers);
  res.end(text);
}

const LAST_RESORT = JSON.stringify({
  error: { message: 'Internal error.', type: 'server_error', param: null, code: 'internal_error' },
});

/** When even the error could not be rendered: a bare 500, or a closed connection. */
function lastResort(kctx: Koa.Context, res: ServerResponse): void {
  try {
    kctx.respond = false;
    if (res.headersSent) res.destroy();
    else writeHeadAndEnd(res, 500, safeHeaders({ 'x-request-id': directRequestId(kctx) }), LAST_RESORT);
  } catch {
    res.destroy();
  }
}
