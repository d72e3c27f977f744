/**
 * ProviderHttp: an adapter's JSON calls to its upstream over the gateway's pooled UpstreamClient.
 * `post` sends a JSON body under the call's abort signal and the provider's timeout, and turns an
 * error answer (status >= 400) into a GatewayError with the provider's own message and Retry-After
 * (`error` option; OpenAI's shape by default). `json`/`text` read a whole answer (bounded, a broken
 * body is an interrupted answer), `bodyError` maps a failure while a stream is read. `postStream` is
 * `post` for an answer read as it arrives (an event stream), without a Readable in between.
 */
import type { GatewayError } from '../errors.js';
import { callAbort, type UpstreamCall } from '../provider.js';
import type { AbortSource } from '../abort.js';
import type { ReleasableBody } from '../sse.js';
import type { BufferedResponse } from '../upstream-buffered.js';
import {
  asUpstreamResponse,
  bodyError,
  parseJsonAnswer,
  readBodyText,
  readJsonBody,
  transportError,
  type UpstreamClient,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../upstream.js';
import { openAIError, readUpstreamError } from './errors.js';

/** The headers of a JSON exchange; `accept` replaces application/json (e.g. text/event-stream). */
export function jsonHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json', ...extra };
}

export type ErrorMapper = (res: UpstreamResponse) => Promise<GatewayError>;

/**
 * An answer being streamed (postStream): its body is read once, by an SseReader (core/sse.ts), which
 * releases it when the reading stops (drained after the protocol's last event, else aborted).
 */
export interface StreamingAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: ReleasableBody | UpstreamResponse['body'];
}

/** The most of an error answer's body read for its message (as readUpstreamError reads). */
const ERROR_BODY_LIMIT = 64 * 1024;

export interface ProviderHttpOptions {
  /** Per-provider upstream timeout (ms); the client's (`upstream.timeoutMs`) when not set. */
  timeoutMs?: number;
  /** Headers of every request (see jsonHeaders). */
  headers?: Record<string, string>;
  /** Map an error answer. Default: OpenAI's error shape (openAIError), Retry-After kept. */
  error?: ErrorMapper;
}

export interface PostOptions {
  /** Replaces the `accept` header (e.g. 'text/event-stream'). */
  accept?: string;
  /** Headers for this call instead of the provider's; a function gets the JSON text (request signing). */
  headers?: Record<string, string> | ((payload: string) => Record<string, string>);
}

type Call = Pick<UpstreamCall, 'signal'>;

export class ProviderHttp {
  readonly provider: string;
  readonly client: UpstreamClient;
  readonly headers: Record<string, string>;
  readonly #timeoutMs: number | undefined;
  readonly #error: ErrorMapper;

  constructor(provider: string, client: UpstreamClient, options: ProviderHttpOptions = {}) {
    this.provider = provider;
    this.client = client;
    this.headers = options.headers ?? jsonHeaders();
    this.#timeoutMs = options.timeoutMs;
    this.#error = options.error ?? (async (res) => openAIError(provider, await readUpstreamError(res)));
  }

  /** The provider's own timeout, else the client's. */
  get timeoutMs(): number {
    return this.#timeoutMs ?? this.client.timeoutMs;
  }

  /** Largest single stream event (pass to parseSse as maxEventBytes). */
  get maxEventBytes(): number {
    return this.client.maxResponseBytes;
  }

  /** POST `body` as JSON to `url`; resolves with the answer once its status is below 400. */
  async post(url: string, body: unknown, call: Call, options: PostOptions = {}): Promise<UpstreamResponse> {
    const payload = JSON.stringify(body);
    const given = options.headers ?? this.headers;
    const base = typeof given === 'function' ? given(payload) : given;
    const headers = options.accept ? { ...base, accept: options.accept } : base;
    return this.send({ url, headers, body: payload, signal: callAbort(call) });
  }

  /**
   * POST `body` as JSON to `url` and read the whole JSON answer (the cheap path: no stream in between,
   * core/upstream-buffered.ts); an error answer (status >= 400) is thrown as `post` would.
   */
  postJson(url: string, body: unknown, call: Call, keepRaw = false, options: PostOptions = {}): Promise<unknown> {
    // Not an async function: while the answer is awaited only the callback below stays alive, not a frame
    // holding the payload and headers (bench/profile-notes.md, ninth round). Throws become rejections.
    try {
      const payload = JSON.stringify(body);
      const given = options.headers ?? this.headers;
      const base = typeof given === 'function' ? given(payload) : given;
      const headers = options.accept ? { ...base, accept: options.accept } : base;
      const signal = callAbort(call);
      if (typeof this.client.sendBuffered !== 'function') {
        // A client of the plugin's own making (a wrapper written before sendBuffered existed): its send().
        return this.send({ url, headers, body: payload, signal }).then((streamed) =>
          readJsonBody(this.provider, streamed, this.timeoutMs, signal, keepRaw),
        );
      }
      const request = { url, headers, body: payload, signal, timeoutMs: this.#timeoutMs };
      return this.client.sendBuffered(this.provider, request).then((res) => this.#jsonAnswer(res, keepRaw));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** A whole answer of sendBuffered: parsed JSON below status 400, else the provider's error, thrown. */
  #jsonAnswer(res: BufferedResponse, keepRaw: boolean): unknown {
    if (res.statusCode >= 400)
      return this.#error(asUpstreamResponse(res)).then((e) => {
        throw e;
      });
    return parseJsonAnswer(this.provider, res.body.toString('utf8'), keepRaw);
  }

  /**
   * POST `body` as JSON to `url` for an answer read as it arrives (`accept`: text/event-stream by
   * default); resolves at its headers once the status is below 400, else throws as `post` would.
   */
  async postStream(url: string, body: unknown, call: Call, options: PostOptions = {}): Promise<StreamingAnswer> {
    const payload = JSON.stringify(body);
    const given = options.headers ?? this.headers;
    const base = typeof given === 'function' ? given(payload) : given;
    const headers = { ...base, accept: options.accept ?? 'text/event-stream' };
    const signal = callAbort(call);
    // A client of the plugin's own making (written before sendStream existed): its send() and a Readable.
    if (typeof this.client.sendStream !== 'function') return this.send({ url, headers, body: payload, signal });
    const res = await this.client.sendStream(this.provider, {
      url,
      headers,
      body: payload,
      signal,
      timeoutMs: this.#timeoutMs,
    });
    if (res.statusCode < 400) return res;
    const text = await res.body.collect(ERROR_BODY_LIMIT);
    throw await this.#error(asUpstreamResponse({ statusCode: res.statusCode, headers: res.headers, body: text }));
  }

  async send(req: {
    url: string;
    method?: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: UpstreamRequest['body'];
    signal: AbortSource;
  }): Promise<UpstreamResponse> {
    const res = await this.client.send(this.provider, { ...req, timeoutMs: this.#timeoutMs });
    if (res.statusCode >= 400) throw await this.#error(res);
    return res;
  }

  /** The whole answer as JSON (keepRaw: its text rides along for relaying as is). */
  json(res: UpstreamResponse, call: Call, keepRaw = false): Promise<unknown> {
    return readJsonBody(this.provider, res, this.timeoutMs, callAbort(call), keepRaw);
  }

  /** The whole answer as text. */
  text(res: UpstreamResponse, call: Call): Promise<string> {
    return readBodyText(this.provider, res, this.timeoutMs, callAbort(call));
  }

  /** A failure while a started answer was read: interrupted, timed out, or the client left. */
  bodyError(e: unknown, call: Call): GatewayError {
    return bodyError(this.provider, e, this.timeoutMs, callAbort(call));
  }

  /** A failure mapped as a transport error (e.g. from a stream parser before any chunk). */
  transportError(e: unknown, call: Call): GatewayError {
    return transportError(this.provider, e, this.timeoutMs, callAbort(call));
  }
}
