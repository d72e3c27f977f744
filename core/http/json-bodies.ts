/**
 * Plain JSON bodies in the gateway's own Koa app, serialised when they are set. Koa's body setter tests
 * every object body with `instanceof ReadableStream`, `Blob` and `Response`; the first read of the global
 * `Response` loads Node's bundled undici (its whole fetch implementation: ~11 MiB of RSS and ~2 MiB of
 * heap in a bare process) and compiles its llhttp WebAssembly on V8's worker threads, whose malloc arena
 * often keeps ~10 MiB more. One health probe did it (bench/profile-notes.md, eighth round).
 *
 * So in the app createGateway makes, a plain object or array assigned to `ctx.body` is turned into its
 * JSON text first, with Koa's JSON content type (kept if the route chose a `+json` or other JSON type)
 * and an exact Content-Length; Koa then takes a string. What is sent is what Koa would send. Reading
 * `ctx.body` back gives that text. Anything else (strings, buffers, streams, null, class instances
 * such as a `Response`) goes to Koa's own setter unchanged. An app a user embeds the gateway in keeps
 * Koa's behaviour.
 */
import type Koa from 'koa';

const isPlainJson = (val: unknown): val is object => {
  if (typeof val !== 'object' || val === null) return false;
  if (Array.isArray(val)) return true;
  const proto = Object.getPrototypeOf(val);
  return proto === Object.prototype || proto === null;
};

const JSON_TYPE = /\bjson\b/i;

/** Install the serialising `body` setter on `app.response` (the prototype of every response of the app). */
export function serializeJsonBodies(app: Koa): void {
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
    set(this: Koa.Response, val: unknown) {
      if (!isPlainJson(val)) return set.call(this, val);
      const text = JSON.stringify(val);
      if (!this.type || !JSON_TYPE.test(this.type)) this.type = 'json';
      set.call(this, text);
    },
  });
}
