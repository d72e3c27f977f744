/**
 * Read a request body with a size limit and parse it as JSON, once.
 *
 * In library mode a body parser of the host app (`@koa/bodyparser`, `koa-bodyparser`, ...) may have
 * read the stream before the gateway's middleware runs. Then the body comes from what the parser
 * left: the raw text (`ctx.request.rawBody`, else `ctx.req.rawBody`) when present, so nothing is
 * lost, else the parsed value (`ctx.request.body`, else `ctx.req.body`). The limit applies the same
 * way in every case: to the bytes of the raw body, else to the JSON size of the parsed value.
 */
import type { IncomingMessage } from 'node:http';
import type Koa from 'koa';
import { errors } from '../errors.js';
import { readStream } from '../read-stream.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from '../json-depth.js';

/** Where body parsers put their results (Koa's request, or Node's request with `patchNode`). */
interface ParsedBody {
  body?: unknown;
  rawBody?: unknown;
}

/** What a body read yields: raw bytes or text, or the value another middleware already parsed. */
export type BodySource = { raw: string | Buffer } | { parsed: unknown };

export function readJson(kctx: Koa.Context, limit: number): Promise<unknown> {
  const req = kctx.req;
  // The usual case, a body still to read within the limit: one promise, not three (bench/, ~0.5% each).
  if (!(req.readableEnded || req.readableDidRead) && !(Number(req.headers['content-length']) > limit)) {
    return readStream(req, limit, () => errors.bodyTooLarge(limit), { drain: true }).then(parseText);
  }
  return readJsonFrom(kctx, limit);
}

/** readJson for the rest: a body too large, or one a body parser already read. */
async function readJsonFrom(kctx: Koa.Context, limit: number): Promise<unknown> {
  const source = await readBody(kctx, limit);
  if ('raw' in source) return parseText(source.raw);
  let text: string | undefined;
  try {
    text = JSON.stringify(source.parsed);
  } catch (e) {
    throw errors.invalidJson(`the parsed body left by another middleware is not JSON (${(e as Error).message})`);
  }
  // Parsed again from its JSON text: a fresh copy (the pipeline may change the request, the host
  // app's object stays as it was), and the limit applies to its JSON size.
  if (Buffer.byteLength(text ?? '') > limit) throw errors.bodyTooLarge(limit);
  return parseText(text ?? '');
}

/** The body within `limit` bytes: from the stream, or from what a body parser left. */
export async function readBody(kctx: Koa.Context, limit: number): Promise<BodySource> {
  const req = kctx.req;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume(); // drain so the connection can answer
    throw errors.bodyTooLarge(limit);
  }
  if (req.readableEnded || req.readableDidRead) {
    return fromParser(kctx.request as unknown as ParsedBody, req as ParsedBody & IncomingMessage, limit);
  }
  return { raw: await readStream(req, limit, () => errors.bodyTooLarge(limit), { drain: true }) };
}

/** The stream was already read by another middleware: use what it left. */
function fromParser(request: ParsedBody, req: ParsedBody, limit: number): BodySource {
  const raw = request.rawBody ?? req.rawBody;
  const body = request.body !== undefined ? request.body : req.body;
  const text =
    typeof raw === 'string' || Buffer.isBuffer(raw)
      ? raw
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : undefined;
  if (text !== undefined) {
    if ((typeof text === 'string' ? Buffer.byteLength(text) : text.length) > limit) throw errors.bodyTooLarge(limit);
    return { raw: text };
  }
  if (body === undefined) {
    throw errors.invalidJson(
      'the body is empty: another middleware read the request stream and left neither ' +
        'ctx.request.rawBody nor ctx.request.body (mount the gateway before it, or keep the raw body)',
    );
  }
  return { parsed: body };
}

function parseText(raw: string | Buffer): unknown {
  if (raw.length === 0) throw errors.invalidJson('the body is empty');
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  // Before parsing: a deeply nested body costs JSON.parse ~1.5 µs per level, and recursive walks overflow.
  if (jsonNestsDeeperThan(text)) throw errors.invalidJson(`the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.invalidJson((e as Error).message);
  }
}
