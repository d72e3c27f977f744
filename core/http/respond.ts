/**
 * Writing a JSON answer. In the gateway's own Koa app (standalone `listen()`), nothing runs after our
 * handlers, so the answer goes straight to node:http (one writeHead + end) instead of through Koa's
 * response setters and `respond` (~5% of a request's CPU in bench/). Mounted into someone else's Koa
 * app (library mode), their middleware may read or change status and body after us, so it goes
 * through Koa there.
 */
import type Koa from 'koa';

const OWN_APP = Symbol('switchyard.ownApp');

/** Mark the Koa app that createGateway made (and that only Switchyard's middleware runs in). */
export function markOwnApp(app: Koa): void {
  (app as unknown as Record<symbol, boolean>)[OWN_APP] = true;
}

export function writeJson(kctx: Koa.Context, status: number, headers: Record<string, string>, body: string): void {
  const res = kctx.res;
  if ((kctx.app as unknown as Record<symbol, boolean>)[OWN_APP] && !res.headersSent) {
    kctx.respond = false;
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
    return;
  }
  kctx.set(headers);
  kctx.status = status;
  kctx.type = 'application/json';
  kctx.body = body;
}
