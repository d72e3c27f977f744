/**
 * Adapter for OpenAI and every OpenAI-compatible API. The canonical request is already in the
 * upstream's format: we set the model, ask for streamed usage, and forward every other field as is.
 */
import { GatewayError, errors, isRetryableStatus } from '../../../core/errors.js';
import type { NativeResponsesAnswer, ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import { RAW_JSON, type WithRaw } from '../../../core/chunks.js';
import { maskSecret } from '../../../core/mask.js';
import { parseSse, type SseEvent } from '../../../core/sse.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
} from '../../../core/types.js';
import { bodyError, readErrorBody, readJsonBody, type UpstreamClient, type UpstreamResponse } from '../../../core/upstream.js';

export interface OpenAICompatibleSettings {
  name: string;
  /** API base including the version path, e.g. https://api.openai.com/v1 */
  baseURL: string;
  apiKey?: string;
  /** Extra headers sent upstream (e.g. OpenAI-Organization). */
  headers?: Record<string, string>;
  models: string[];
  /** Bare model names matching this pattern are routed here too. */
  claims?: RegExp;
  /** Add stream_options.include_usage to streamed requests. */
  streamUsage: boolean;
  timeoutMs?: number;
  /** The upstream serves the OpenAI Responses API at {baseURL}/responses (used natively by /v1/responses). */
  responsesApi?: boolean;
}

/** Upstream response headers worth passing back with an error. */
const KEPT_ERROR_HEADERS = ['retry-after', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'];

export class OpenAICompatibleAdapter implements ProviderAdapter {
  readonly name: string;
  readonly #s: OpenAICompatibleSettings;
  readonly #http: UpstreamClient;
  readonly #headers: Record<string, string>;
  readonly #models: ModelInfo[];
  /** Present only when the upstream speaks the Responses API (settings.responsesApi). */
  readonly responses?: (body: Record<string, unknown>, call: UpstreamCall) => Promise<NativeResponsesAnswer>;

  constructor(settings: OpenAICompatibleSettings, http: UpstreamClient) {
    this.name = settings.name;
    this.#s = settings;
    this.#http = http;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      ...settings.headers,
    };
    this.#models = settings.models.map((id) => ({ id, kind: /embed/i.test(id) ? 'embeddings' : 'chat' }));
    if (settings.responsesApi) this.responses = (body, call) => this.#responses(body, call);
  }

  models(): ModelInfo[] {
    return this.#models;
  }

  describe(): Record<string, string> {
    return { baseURL: this.#s.baseURL, apiKey: maskSecret(this.#s.apiKey) };
  }

  claims(model: string): boolean {
    return this.#s.claims?.test(model) ?? false;
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const body = request.stream || request.stream_options ? { ...request, stream: undefined, stream_options: undefined } : request;
    const res = await this.#post('/chat/completions', body, call);
    return (await readJsonBody(this.name, res, this.#s.timeoutMs ?? this.#http.timeoutMs, call.signal, true)) as ChatCompletionResponse;
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const body = this.#s.streamUsage
      ? { ...request, stream: true, stream_options: { ...request.stream_options, include_usage: true } }
      : { ...request, stream: true };
    const res = await this.#post('/chat/completions', body, call, 'text/event-stream');
    return this.#chunks(res, call);
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const res = await this.#post('/embeddings', request, call);
    return (await this.#json(res, call)) as EmbeddingsResponse;
  }

  /** POST {baseURL}/responses with the client's body: the JSON answer, or the raw typed SSE events. */
  async #responses(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeResponsesAnswer> {
    if (body.stream !== true) {
      const res = await this.#post('/responses', body, call);
      return { kind: 'json', body: (await this.#json(res, call)) as Record<string, unknown> };
    }
    const res = await this.#post('/responses', body, call, 'text/event-stream');
    return { kind: 'stream', events: this.#events(res, call) };
  }

  async *#events(res: UpstreamResponse, call: UpstreamCall): AsyncGenerator<SseEvent> {
    try {
      yield* parseSse(res.body);
    } catch (e) {
      throw bodyError(this.name, e, this.#s.timeoutMs ?? this.#http.timeoutMs, call.signal);
    } finally {
      res.body.destroy();
    }
  }

  async #post(path: string, body: unknown, call: UpstreamCall, accept?: string): Promise<UpstreamResponse> {
    const headers = accept ? { ...this.#headers, accept } : this.#headers;
    const res = await this.#http.send(this.name, {
      url: this.#s.baseURL + path,
      headers,
      body: JSON.stringify(body),
      signal: call.signal,
      timeoutMs: this.#s.timeoutMs,
    });
    if (res.statusCode >= 400) throw await this.#error(res);
    return res;
  }

  #json(res: UpstreamResponse, call: UpstreamCall): Promise<unknown> {
    return readJsonBody(this.name, res, this.#s.timeoutMs ?? this.#http.timeoutMs, call.signal);
  }

  async *#chunks(res: UpstreamResponse, call: UpstreamCall): AsyncGenerator<ChatCompletionChunk> {
    let done = false;
    let finished = false;
    try {
      for await (const ev of parseSse(res.body)) {
        if (ev.data === '[DONE]') {
          done = true;
          break;
        }
        if (!ev.data) continue;
        let parsed: ChatCompletionChunk & { error?: { message?: string; type?: string; code?: string } };
        try {
          parsed = JSON.parse(ev.data);
        } catch {
          throw errors.upstreamBadResponse(this.name, 'a stream event is not JSON');
        }
        if (parsed.error || ev.event === 'error') {
          const e = parsed.error ?? {};
          throw new GatewayError(502, e.message ?? 'The upstream reported an error mid-stream.', {
            type: e.type ?? 'api_error', code: e.code ?? 'upstream_stream_error', retryable: true, upstream: { provider: this.name },
          });
        }
        if (parsed.choices?.some((c) => c.finish_reason)) finished = true;
        (parsed as WithRaw)[RAW_JSON] = ev.data; // relayed as is when nothing changes the chunk
        yield parsed;
      }
    } catch (e) {
      throw bodyError(this.name, e, this.#s.timeoutMs ?? this.#http.timeoutMs, call.signal);
    } finally {
      if (!done) res.body.destroy();
    }
    // Some compatible servers omit [DONE]; a stream whose choices all finished is still complete.
    if (!done && !finished) throw errors.streamInterrupted(this.name, 'the connection closed before [DONE]');
  }

  /** Map an upstream error answer to a GatewayError with its status, message and retry hints. */
  async #error(res: UpstreamResponse): Promise<GatewayError> {
    const text = await readErrorBody(res);
    let message = `The upstream provider "${this.name}" answered ${res.statusCode}.`;
    let type: string | undefined;
    let code: string | null = null;
    let param: string | null = null;
    try {
      const parsed = JSON.parse(text);
      const e = parsed?.error ?? parsed;
      if (typeof e === 'string') message = e;
      else if (e && typeof e === 'object') {
        if (typeof e.message === 'string') message = e.message;
        if (typeof e.type === 'string') type = e.type;
        if (e.code !== undefined && e.code !== null) code = String(e.code);
        if (typeof e.param === 'string') param = e.param;
      }
    } catch {
      /* not JSON: keep the generic message */
    }
    const headers: Record<string, string> = {};
    for (const h of KEPT_ERROR_HEADERS) {
      const v = res.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    return new GatewayError(res.statusCode, message, {
      type, code, param, headers,
      retryable: isRetryableStatus(res.statusCode),
      upstream: { provider: this.name, status: res.statusCode },
    });
  }
}
