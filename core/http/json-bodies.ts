/**
 * Plain JSON bodies in the gateway's own Koa app, kept away from Koa's `instanceof Response`. Koa's body
 * setter, and its respond() at the end, test every object body with `instanceof ReadableStream`, `Blob`
 * and `Response`; the first read of the global `Response` loads Node's bundled undici (its whole fetch
 * implementation: ~11 MiB of RSS and ~2 MiB of heap in a bare process) and compiles its llhttp
 * WebAssembly on V8's worker threads. One health probe did it (bench/profile-notes.md, eighth round).
 *
 * In the app createGateway makes, a plain object or array assigned to `ctx.body` is stored as Koa would
 * store it (same status, JSON content type, no Content-Length yet, a previous stream body destroyed), so
 * routes and middleware read and change it as an object; `serve` turns it into its JSON text when the
 * request leaves the gateway's middleware, before Koa's respond(). What is sent is what Koa would send.
 * Anything else (strings, buffers, streams, null, class instances such as a `Response`) goes to Koa's
 * own setter unchanged. An app a user embeds the gateway in keeps Koa's behaviour.
 */
import type Koa from 'koa';

const isPlainJson = (val: unknown): val is object => {
  if (typeof val !== 'object' || val === null) return false;
  if (Array.isArray(val)) return true;
  const proto = Object.getPrototypeOf(val);
  return proto === Object.prototype || proto === null;
};

const JSON_TYPE = /\bjson\b/i;

/** Install the `body` setter on `app.response` (the prototype of every response of the app). */
export function keepJsonBodies(app: Koa): void {
  let owner: object | null = app.response;
  let body: PropertyDescriptor | undefined;
  while (owner && !body) {
    body = Object.getOwnPropertyDescriptor(owner, 'body');
    owner = Object.getPrototypeOf(owner);
  }
  const { get, set } = body ?? {};
  if (!get || !set) throw new Error("Koa's response has no body accessor");
  Object.defineProperty(app.response, 'body', {
    configurable: true,
    enumerable: body!.enumerable,
    get,
    set(this: Koa.Response & { _body: unknown }, val: unknown) {
      if (!isPlainJson(val)) return set.call(this, val);
      // Koa's own bookkeeping for a body (status 200 unless set, a previous stream destroyed), through its
      // string branch; then what its object branch does: the object itself, no length, a JSON type.
      set.call(this, '');
      this._body = val;
      this.remove('Content-Length');
      if (!this.type || !JSON_TYPE.test(this.type)) this.type = 'json';
    },
  });
}

/** A plain object or array body as its JSON text (Koa then sends the string). Throws what JSON.stringify throws. */
export function jsonBodyToText(kctx: Koa.Context): void {
  const body: unknown = kctx.body;
  if (isPlainJson(body)) kctx.body = JSON.stringify(body);
}
