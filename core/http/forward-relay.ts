/**
 * The HTTP side of forwarded requests (passthrough, files, batches): which client headers may go
 * upstream, the client's body (bytes for JSON, else the stream itself, within a size limit), and the
 * upstream's answer relayed chunk by chunk with the usage read on the way (JSON and SSE).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { Transform, type Readable } from 'node:stream';
import type Koa from 'koa';
import { errors } from '../errors.js';
import type { Usage } from '../types.js';
import { bodyError, type UpstreamResponse } from '../upstream.js';
import { readBody } from './body.js';
import { SseUsageScanner, usageOfJson } from './forward-usage.js';
import { safeHeaders } from './respond.js';

/** Client headers that go upstream; credentials, cookies and hop-by-hop headers never do. */
const UPSTREAM_HEADERS = ['content-type', 'accept', 'openai-beta', 'anthropic-beta', 'idempotency-key'];

/** Upstream answer headers relayed to the client (never set-cookie or the upstream's own auth hints). */
const CLIENT_HEADER = new RegExp(
  '^(content-(type|length|disposition|encoding)|cache-control|retry-after|openai-processing-ms' +
    '|x-ratelimit-[a-z-]+|anthropic-ratelimit-[a-z-]+)$',
);

/** Largest JSON answer kept (besides relaying it) to read its usage. */
const MAX_USAGE_JSON = 8 * 1024 * 1024;

export function upstreamHeaders(headers: IncomingHttpHeaders, streamed: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of UPSTREAM_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  // A body relayed as it arrives keeps its declared length (multipart uploads need it).
  const length = headers['content-length'];
  if (streamed && typeof length === 'string') out['content-length'] = length;
  return out;
}

export interface ClientBody {
  /** Bytes (JSON, or what a host app's body parser left), or the request stream itself. */
  data?: Uint8Array | Readable;
  /** The parsed JSON body, when it is JSON. */
  json?: Record<string, unknown>;
}

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * The client's body: JSON is read (within `jsonLimit`) and parsed once (its `model` decides allow-lists
 * and prices); anything else is streamed upstream as it arrives, refused past `maxBytes`.
 */
export async function clientBody(kctx: Koa.Context, jsonLimit: number, maxBytes: number): Promise<ClientBody> {
  const req = kctx.req;
  if (!hasBody(req) && !req.readableDidRead) return {};
  const type = String(req.headers['content-type'] ?? '');
  const json = /^application\/([a-z0-9.+-]*\+)?json\b/i.test(type);
  if (json || req.readableDidRead) {
    const source = await readBody(kctx, json ? jsonLimit : maxBytes);
    const data =
      'raw' in source
        ? typeof source.raw === 'string'
          ? Buffer.from(source.raw)
          : source.raw
        : Buffer.from(JSON.stringify(source.parsed));
    if (!json) return { data };
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch (e) {
      throw errors.invalidJson((e as Error).message);
    }
    return {
      data,
      json:
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined,
    };
  }
  if (Number(req.headers['content-length']) > maxBytes) {
    req.resume();
    throw errors.bodyTooLarge(maxBytes);
  }
  return { data: req.pipe(sizeLimit(maxBytes)) };
}

function sizeLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      cb(seen > max ? errors.bodyTooLarge(max) : null, chunk);
    },
  });
}

/** How a relayed answer ended. */
export interface Relayed {
  usage?: Usage;
  /** False when the client went away before the end. */
  complete: boolean;
}

/**
 * Write the upstream's status, its relayable headers and `own` (x-request-id, x-switchyard-*), then
 * its body chunk by chunk (backpressure kept, nothing buffered but a bounded copy of a JSON answer).
 * Errors while reading the upstream body are thrown (the head is sent: the caller closes the connection).
 */
export async function relayAnswer(
  res: ServerResponse,
  up: UpstreamResponse,
  own: Record<string, string>,
  signal: AbortSignal,
  provider: string,
  timeoutMs: number,
  /** Sees every chunk relayed (e.g. a batch result scanner). */
  observe?: (chunk: Buffer) => void,
): Promise<Relayed> {
  const relayed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(up.headers)) if (CLIENT_HEADER.test(name)) relayed[name] = value;
  const type = String(up.headers['content-type'] ?? '');
  const sse = /text\/event-stream/i.test(type);
  const json = !sse && /json/i.test(type) && !/jsonl|ndjson/i.test(type) && !up.headers['content-encoding'];
  res.writeHead(up.statusCode, safeHeaders(relayed, own));
  if (sse) res.flushHeaders();
  const scanner = sse ? new SseUsageScanner() : undefined;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  try {
    for await (const chunk of up.body) {
      const buf = chunk as Buffer;
      if (json && keptBytes <= MAX_USAGE_JSON) {
        keptBytes += buf.length;
        if (keptBytes <= MAX_USAGE_JSON) kept.push(buf);
      }
      scanner?.push(buf);
      observe?.(buf);
      if (!(await write(res, buf, signal))) return { usage: scanner?.usage, complete: false };
    }
  } catch (e) {
    throw bodyError(provider, e, timeoutMs, signal);
  }
  res.end();
  if (scanner) return { usage: scanner.usage, complete: true };
  if (!json || keptBytes > MAX_USAGE_JSON) return { complete: true };
  try {
    return { usage: usageOfJson(JSON.parse(Buffer.concat(kept).toString('utf8'))), complete: true };
  } catch {
    return { complete: true };
  }
}

async function write(res: ServerResponse, chunk: Buffer, signal: AbortSignal): Promise<boolean> {
  if (res.destroyed || signal.aborted) return false;
  if (res.write(chunk)) return true;
  try {
    await once(res, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
