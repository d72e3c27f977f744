/**
 * Pooled upstream HTTP (undici). One Agent per gateway keeps keep-alive connections per origin.
 * Transport failures become GatewayErrors with stable codes: 504 upstream_timeout, 502
 * upstream_unreachable, and 499 client_closed_request when our own client went away.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import type { AbortSource } from './abort.js';
import { RAW_JSON, type WithRaw } from './chunks.js';
import { GatewayError, errors } from './errors.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from './json-depth.js';
import { readStream } from './read-stream.js';
import { AnswerCut, type BufferedResponse, requestBuffered } from './upstream-buffered.js';
import { requestStreamed, type StreamedResponse } from './upstream-streamed.js';

// undici's index also loads fetch, WebSocket, EventSource, the caches and the mocks: ~15 MiB of
// resident memory a gateway never uses. Its Agent and request API alone are what we need (deep paths,
// stable across undici 7; the major is pinned in package.json and every upstream test goes through them).
const requireFromHere = createRequire(import.meta.url);
const Agent: typeof UndiciAgent = requireFromHere('undici/lib/dispatcher/agent.js');
const dispatchRequest: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> =
  requireFromHere('undici/lib/api/api-request.js');

/** Split URLs already seen (a gateway calls a handful of upstream URLs): at most SPLIT_CACHE_MAX, then cleared. */
const splitCache = new Map<string, Readonly<{ origin: string; path: string }>>();
const SPLIT_CACHE_MAX = 256;

/**
 * `https://host:port/path?q` -> origin and path, as undici's dispatcher takes them. The same object for the
 * same URL (frozen): scanning the URL on every call was ~0.7% of a zero-config request's CPU in bench/.
 */
export function splitUrl(url: string): Readonly<{ origin: string; path: string }> {
  const seen = splitCache.get(url);
  if (seen) return seen;
  const scheme = url.indexOf('://');
  if (scheme < 0) throw new TypeError(`Not an absolute URL: ${url}`);
  let i = scheme + 3;
  while (i < url.length && url[i] !== '/' && url[i] !== '?' && url[i] !== '#') i++;
  const hash = url.indexOf('#', i);
  const rest = hash < 0 ? url.slice(i) : url.slice(i, hash);
  const path = rest === '' ? '/' : rest[0] === '?' ? `/${rest}` : rest;
  const split = Object.freeze({ origin: url.slice(0, i), path });
  if (splitCache.size >= SPLIT_CACHE_MAX) splitCache.clear();
  splitCache.set(url, split);
  return split;
}

/** One request on an Agent (or on a shared default one): what undici's top-level `request` does. */
export function httpRequest(
  url: string,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
  agent: Dispatcher = defaultAgent(),
): Promise<Dispatcher.ResponseData> {
  const { origin, path } = splitUrl(url);
  return dispatchRequest.call(agent, { ...options, origin, path });
}

let shared: UndiciAgent | undefined;
function defaultAgent(): UndiciAgent {
  return (shared ??= new Agent({ keepAliveTimeout: 10_000 }));
}

export interface UpstreamOptions {
  /** Longest wait for response headers, and longest silence between body chunks. Default 600 000 ms. */
  timeoutMs?: number;
  /** TCP/TLS connect timeout. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Max connections per upstream origin. Default 256. */
  connections?: number;
  /** Idle keep-alive time for pooled connections. Default 30 000 ms. */
  keepAliveTimeoutMs?: number;
  /**
   * Largest upstream answer read whole (a JSON body), and largest single event of a stream, in bytes.
   * Past it the attempt fails with 502 upstream_response_too_large (failover may try the next target).
   * Default 32 MiB.
   */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface UpstreamRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  headers: Record<string, string>;
  /** A Readable is sent as it is produced (an upload streamed through), and can be sent only once. */
  body?: string | Uint8Array | Readable;
  /** An AbortSignal, or the request's own abort source (core/abort.ts), which undici takes as it is. */
  signal: AbortSource;
  /** Overrides the client-wide timeout for this call. */
  timeoutMs?: number;
}

export type UpstreamResponse = Dispatcher.ResponseData;

export const clientClosed = () =>
  new GatewayError(499, 'The client closed the request.', { code: 'client_closed_request' });

/** The size limit of each response sent through an UpstreamClient (read by readBodyText). */
const responseLimits = new WeakMap<object, number>();
/**
 * Watches upstream calls (tracing). Called before each request; may return headers to add (e.g. W3C
 * `traceparent`) and a callback told how the call ended (status, or the mapped transport error).
 */
export type UpstreamObserver = (provider: string, req: UpstreamRequest) => UpstreamObservation | undefined;

export interface UpstreamObservation {
  headers?: Record<string, string>;
  end(outcome: { status?: number; error?: GatewayError }): void;
}

export class UpstreamClient {
  readonly agent: UndiciAgent;
  readonly timeoutMs: number;
  /** upstream.maxResponseBytes: pass it to parseSse as `maxEventBytes`. */
  readonly maxResponseBytes: number;
  #observers: UpstreamObserver[] | undefined;

  constructor(options: UpstreamOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.agent = new Agent({
      connections: options.connections ?? 256,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Watch every upstream call from now on (plugins, at apply time). Without observers, send() does no extra work. */
  observe(observer: UpstreamObserver): void {
    (this.#observers ??= []).push(observer);
  }

  /** Whether any observer watches upstream calls. */
  get observed(): boolean {
    return this.#observers !== undefined;
  }

  /** Send a request; transport failures are thrown as GatewayErrors. Any status is returned. */
  async send(provider: string, req: UpstreamRequest): Promise<UpstreamResponse> {
    const timeout = req.timeoutMs ?? this.timeoutMs;
    const { watching, headers } = watch(provider, req, this.#observers);
    let res: UpstreamResponse;
    try {
      res = await dispatchRequest.call(this.agent, dispatchOptions(req, headers, timeout));
    } catch (err) {
      const error = transportError(provider, err, timeout, req.signal);
      if (watching) for (const o of watching) o.end({ error });
      throw error;
    }
    if (watching) for (const o of watching) o.end({ status: res.statusCode });
    responseLimits.set(res, this.maxResponseBytes);
    return res;
  }

  /**
   * Send a request and read its whole answer (any status) into one Buffer, at most maxResponseBytes:
   * the cheap path for JSON answers (core/upstream-buffered.ts). Transport failures, a body cut short
   * and a body too large are thrown as GatewayErrors, as send() and readBodyText() would.
   */
  sendBuffered(provider: string, req: UpstreamRequest): Promise<BufferedResponse> {
    // Not an async function: while the answer is awaited, only the small callbacks below stay alive, not
    // a suspended frame holding the request (its body text included). What lives while a request waits
    // for its upstream is what each scavenge copies (bench/profile-notes.md, ninth round).
    const timeout = req.timeoutMs ?? this.timeoutMs;
    let observed: ReturnType<typeof watch>;
    try {
      observed = watch(provider, req, this.#observers);
    } catch (err) {
      return Promise.reject(err); // an observer's throw rejects, as it did from the async function this was
    }
    const { watching, headers } = observed;
    const signal = req.signal;
    const failed = (err: unknown): never => {
      // Before the headers, a failure is the transport's; after them, the answer was cut short.
      const error =
        err instanceof AnswerCut
          ? bodyError(provider, err.cause, timeout, signal)
          : transportError(provider, err, timeout, signal);
      if (watching) for (const o of watching) o.end({ error });
      throw error;
    };
    let answer: Promise<BufferedResponse>;
    try {
      answer = requestBuffered(this.agent, dispatchOptions(req, headers, timeout), this.maxResponseBytes);
    } catch (err) {
      answer = Promise.reject(err); // a URL undici cannot take: mapped as a transport error, as before
    }
    if (!watching) return answer.then(undefined, failed);
    return answer.then((res) => {
      for (const o of watching) o.end({ status: res.statusCode });
      return res;
    }, failed);
  }

  /**
   * Send a request whose answer is read as it arrives (an event stream): resolves at its headers (any
   * status) with a body to read once and release (core/upstream-streamed.ts). Transport failures before
   * the headers are thrown as GatewayErrors, as send() would; the body's own errors come from reading
   * it (map them with bodyError).
   */
  async sendStream(provider: string, req: UpstreamRequest): Promise<StreamedResponse> {
    const timeout = req.timeoutMs ?? this.timeoutMs;
    const { watching, headers } = watch(provider, req, this.#observers);
    let res: StreamedResponse;
    try {
      res = await requestStreamed(this.agent, dispatchOptions(req, headers, timeout));
    } catch (err) {
      const error = transportError(provider, err, timeout, req.signal);
      if (watching) for (const o of watching) o.end({ error });
      throw error;
    }
    if (watching) for (const o of watching) o.end({ status: res.statusCode });
    return res;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The dispatcher's options of a call, in one object (undici's own `request` would copy them into a second). */
function dispatchOptions(req: UpstreamRequest, headers: Record<string, string>, timeout: number) {
  const { origin, path } = splitUrl(req.url);
  return {
    origin,
    path,
    method: req.method ?? 'POST',
    headers,
    body: req.body,
    signal: req.signal,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  };
}

/**
 * Ask every observer about a call: the observations to tell how it ended, and the headers to send
 * (the request's own when nothing watches or adds any).
 */
function watch(
  provider: string,
  req: UpstreamRequest,
  observers: UpstreamObserver[] | undefined,
): { watching: UpstreamObservation[] | undefined; headers: Record<string, string> } {
  if (!observers) return { watching: undefined, headers: req.headers };
  const watching: UpstreamObservation[] = [];
  let headers = req.headers;
  for (const observe of observers) {
    const o = observe(provider, req);
    if (!o) continue;
    watching.push(o);
    // Adapters share their header objects between requests: never write into req.headers.
    if (o.headers) headers = { ...headers, ...o.headers };
  }
  return { watching, headers };
}

/** Map an undici/network error (from a request or while reading its body) to a GatewayError. */
export function transportError(provider: string, err: unknown, timeoutMs: number, signal?: AbortSource): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal?.aborted) return clientClosed();
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string }; limit?: number };
  // A TypeError/RangeError/SyntaxError without a system code is an adapter reading an answer it did not
  // expect (`data: null`, a missing field): the answer was malformed, the connection is fine.
  if (
    (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) &&
    !e.code &&
    !e.cause?.code
  ) {
    return errors.upstreamBadResponse(provider, 'an answer the adapter could not read');
  }
  const code = e.code ?? e.cause?.code ?? e.name ?? 'unknown';
  switch (code) {
    case 'SSE_EVENT_TOO_LARGE': // core/sse.ts
    case 'UPSTREAM_RESPONSE_TOO_LARGE':
      return errors.upstreamTooLarge(provider, e.limit ?? DEFAULT_MAX_RESPONSE_BYTES);
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return errors.upstreamTimeout(provider, timeoutMs);
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return errors.upstreamUnreachable(provider, code);
    default:
      return errors.upstreamUnreachable(provider, code === 'Error' ? 'network error' : code);
  }
}

/**
 * Map an error raised while reading a response body: the connection was established, so a broken
 * socket means the answer was cut short (upstream_stream_interrupted), not that the host is down.
 */
export function bodyError(provider: string, err: unknown, timeoutMs: number, signal?: AbortSource): GatewayError {
  const mapped = transportError(provider, err, timeoutMs, signal);
  if (mapped.code !== 'upstream_unreachable') return mapped;
  const e = err as { code?: string; cause?: { code?: string } };
  return errors.streamInterrupted(provider, e.code ?? e.cause?.code ?? 'connection lost');
}

/**
 * Read a whole JSON answer: a broken body is an interrupted answer, unparseable text a bad response.
 * With keepRaw, the text is attached to the parsed object (RAW_JSON) so it can be relayed as is.
 */
export async function readJsonBody(
  provider: string,
  res: UpstreamResponse,
  timeoutMs: number,
  signal?: AbortSource,
  keepRaw = false,
): Promise<unknown> {
  return parseJsonAnswer(provider, await readBodyText(provider, res, timeoutMs, signal), keepRaw);
}

/**
 * Read a whole answer as text, at most the client's maxResponseBytes (a larger Content-Length is
 * refused before reading; a body that grows past it is destroyed): 502 upstream_response_too_large.
 */
export async function readBodyText(
  provider: string,
  res: UpstreamResponse,
  timeoutMs: number,
  signal?: AbortSource,
): Promise<string> {
  const limit = responseLimits.get(res) ?? DEFAULT_MAX_RESPONSE_BYTES;
  const declared = Number(res.headers['content-length']);
  if (declared > limit) {
    res.body.destroy();
    throw errors.upstreamTooLarge(provider, limit);
  }
  try {
    const body = await readStream(res.body, limit, () => errors.upstreamTooLarge(provider, limit));
    return body.toString('utf8');
  } catch (e) {
    throw bodyError(provider, e, timeoutMs, signal);
  }
}

/**
 * A whole answer in the shape of a streamed one (`send`'s), for code written against that shape: error
 * mappers (ProviderHttp's `error` option) reading the body of an answer fetched by sendBuffered.
 */
export function asUpstreamResponse(res: BufferedResponse): UpstreamResponse {
  const body = Readable.from(res.body.length ? [res.body] : [], { objectMode: false });
  const text = async () => res.body.toString('utf8');
  Object.assign(body, {
    text,
    json: async () => JSON.parse(await text()),
    arrayBuffer: async () => res.body.buffer.slice(res.body.byteOffset, res.body.byteOffset + res.body.length),
    dump: async () => {
      body.destroy();
    },
  });
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    body,
    trailers: {},
    opaque: null,
    context: {},
  } as unknown as UpstreamResponse;
}

/** Parse a whole JSON answer's text (nesting bounded); with keepRaw, the text rides along (RAW_JSON). */
export function parseJsonAnswer(provider: string, text: string, keepRaw = false): unknown {
  if (jsonNestsDeeperThan(text))
    throw errors.upstreamBadResponse(provider, `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw errors.upstreamBadResponse(provider, 'the body is not JSON');
  }
  if (keepRaw && parsed !== null && typeof parsed === 'object') (parsed as WithRaw)[RAW_JSON] = text;
  return parsed;
}

/** Read at most `limit` bytes of an error body as text (never throws). */
export async function readErrorBody(res: UpstreamResponse, limit = 64 * 1024): Promise<string> {
  let out = '';
  try {
    for await (const chunk of res.body) {
      out += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      if (out.length > limit) {
        res.body.destroy();
        break;
      }
    }
  } catch {
    /* a broken error body still leaves us the status */
  }
  return out.slice(0, limit);
}
