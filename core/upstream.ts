/**
 * Pooled upstream HTTP (undici). One Agent per gateway keeps keep-alive connections per origin.
 * Transport failures become GatewayErrors with stable codes: 504 upstream_timeout, 502
 * upstream_unreachable, and 499 client_closed_request when our own client went away.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { RAW_JSON, type WithRaw } from './chunks.js';
import { GatewayError, errors } from './errors.js';

// undici's index also loads fetch, WebSocket, EventSource, the caches and the mocks: ~15 MiB of
// resident memory a gateway never uses. Its Agent and request API alone are what we need (deep paths,
// stable across undici 7; the major is pinned in package.json and every upstream test goes through them).
const requireFromHere = createRequire(import.meta.url);
const Agent: typeof UndiciAgent = requireFromHere('undici/lib/dispatcher/agent.js');
const dispatchRequest: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> =
  requireFromHere('undici/lib/api/api-request.js');

/** `https://host:port/path?q` -> origin and path, as undici's dispatcher takes them. */
export function splitUrl(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('://');
  if (scheme < 0) throw new TypeError(`Not an absolute URL: ${url}`);
  let i = scheme + 3;
  while (i < url.length && url[i] !== '/' && url[i] !== '?' && url[i] !== '#') i++;
  const rest = url.slice(i).split('#')[0];
  return { origin: url.slice(0, i), path: rest === '' ? '/' : rest[0] === '?' ? `/${rest}` : rest };
}

/** One request on an Agent (or on a shared default one): what undici's top-level `request` does. */
export function httpRequest(url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>, agent: Dispatcher = defaultAgent()): Promise<Dispatcher.ResponseData> {
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
}

export interface UpstreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal;
  /** Overrides the client-wide timeout for this call. */
  timeoutMs?: number;
}

export type UpstreamResponse = Dispatcher.ResponseData;

export const clientClosed = () =>
  new GatewayError(499, 'The client closed the request.', { code: 'client_closed_request' });

export class UpstreamClient {
  readonly agent: UndiciAgent;
  readonly timeoutMs: number;

  constructor(options: UpstreamOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.agent = new Agent({
      connections: options.connections ?? 256,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Send a request; transport failures are thrown as GatewayErrors. Any status is returned. */
  async send(provider: string, req: UpstreamRequest): Promise<UpstreamResponse> {
    const timeout = req.timeoutMs ?? this.timeoutMs;
    try {
      return await httpRequest(req.url, {
        method: req.method ?? 'POST',
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      }, this.agent);
    } catch (err) {
      throw transportError(provider, err, timeout, req.signal);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Map an undici/network error (from a request or while reading its body) to a GatewayError. */
export function transportError(provider: string, err: unknown, timeoutMs: number, signal?: AbortSignal): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal?.aborted) return clientClosed();
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'unknown';
  switch (code) {
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
export function bodyError(provider: string, err: unknown, timeoutMs: number, signal?: AbortSignal): GatewayError {
  const mapped = transportError(provider, err, timeoutMs, signal);
  if (mapped.code !== 'upstream_unreachable') return mapped;
  const e = err as { code?: string; cause?: { code?: string } };
  return errors.streamInterrupted(provider, e.code ?? e.cause?.code ?? 'connection lost');
}

/**
 * Read a whole JSON answer: a broken body is an interrupted answer, unparseable text a bad response.
 * With keepRaw, the text is attached to the parsed object (RAW_JSON) so it can be relayed as is.
 */
export async function readJsonBody(provider: string, res: UpstreamResponse, timeoutMs: number, signal?: AbortSignal, keepRaw = false): Promise<unknown> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (e) {
    throw bodyError(provider, e, timeoutMs, signal);
  }
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
