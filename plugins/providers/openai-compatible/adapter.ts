/**
 * Adapter for OpenAI and every OpenAI-compatible API. The canonical request is already in the
 * upstream's format: we set the model, ask for streamed usage, and forward every other field as is
 * (images, `input_audio` parts, `modalities` and `audio`; the answer's `message.audio` / `delta.audio`
 * come back untouched). An `input_audio` part with empty data is refused (400) before any upstream call.
 * Error answers keep OpenAI's fields (the kit's openAIError) and the rate-limit headers.
 */
import type { Logger } from 'pino';
import { maskSecret } from '../../../core/mask.js';
import { errors } from '../../../core/errors.js';
import {
  checkInputAudio,
  HttpAdapter,
  jsonHeaders,
  openAIError,
  readUpstreamError,
  reportDropped,
} from '../../../core/provider-kit/index.js';
import type {
  BinaryAnswer,
  MultipartBody,
  NativeResponsesAnswer,
  ProviderAdapter,
  TextAnswer,
  UpstreamCall,
} from '../../../core/provider.js';
import type * as T from '../../../core/types.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import { DISCOVERY_DEFAULTS, ModelDiscovery, type DiscoveryOptions } from './discovery.js';
import { audio, completions, imageGenerations, imageUpload, speech, type MediaUpstream } from './media.js';
import { openAIChunks, responsesEvents } from './stream.js';
import type { ForwardRequest } from '../../../core/forward.js';
import { openaiForward } from './forward.js';
import { fromRerank, toRerank, type RerankFormat } from './rerank.js';

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
  /** The upstream serves POST {baseURL}/rerank in this format (used by /v1/rerank; rerank.ts). */
  rerank?: RerankFormat;
  /** Discover models from the upstream's GET {baseURL}/models (added to `models`). */
  discovery?: { log: Pick<Logger, 'info' | 'warn'>; options?: Partial<DiscoveryOptions> };
}

/** Largest GET /models answer read (a list of a thousand models is ~100 KiB). */
const MAX_LIST_BYTES = 4 * 1024 * 1024;

/** Upstream response headers worth passing back with an error (besides retry-after). */
const KEPT_ERROR_HEADERS = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
];

export class OpenAICompatibleAdapter extends HttpAdapter<OpenAICompatibleSettings> implements ProviderAdapter {
  readonly #discovery?: ModelDiscovery;
  #merged: { from: T.ModelInfo[]; list: T.ModelInfo[] } | undefined;
  /** {baseURL}{path} per path called (#url). */
  readonly #urls = new Map<string, string>();
  /** Present only with discovery: GET /v1/models waits (boundedly) for the upstream's list. */
  readonly modelsReady?: () => Promise<void>;
  /** Present only when the upstream speaks the Responses API (settings.responsesApi). */
  readonly responses?: (body: Record<string, unknown>, call: UpstreamCall) => Promise<NativeResponsesAnswer>;
  /** Present only when the upstream reranks (settings.rerank). */
  readonly rerank?: (request: T.RerankRequest, call: UpstreamCall) => Promise<T.RerankResponse>;

  constructor(settings: OpenAICompatibleSettings, http: UpstreamClient) {
    super(settings, http, {
      headers: jsonHeaders({
        ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
        ...settings.headers,
      }),
      error: async (res) => openAIError(settings.name, await readUpstreamError(res, KEPT_ERROR_HEADERS)),
    });
    if (settings.responsesApi) this.responses = (body, call) => this.#responses(body, call);
    const rerank = settings.rerank;
    if (rerank) this.rerank = (request, call) => this.#rerank(rerank, request, call);
    if (settings.discovery) {
      const d = (this.#discovery = new ModelDiscovery(
        this.name,
        (signal) => this.#listModels(signal),
        settings.discovery.log,
        { ...DISCOVERY_DEFAULTS, ...settings.discovery.options },
      ));
      this.modelsReady = () => d.ready();
    }
  }

  /** Start discovering (at the gateway's ready hook, so that a slow upstream does not delay the boot). */
  startDiscovery(): void {
    this.#discovery?.start();
  }

  override models(): T.ModelInfo[] {
    const found = this.#discovery?.models;
    const own = super.models();
    if (!found?.length) return own;
    // The same array until the discovered list changes (callers may compare identities).
    if (this.#merged?.from !== found) {
      const ids = new Set(own.map((m) => m.id));
      this.#merged = { from: found, list: [...own, ...found.filter((m) => !ids.has(m.id))] };
    }
    return this.#merged.list;
  }

  async close(): Promise<void> {
    this.#discovery?.stop();
  }

  /** GET {baseURL}/models: the upstream's own model list (parsed JSON, at most MAX_LIST_BYTES). */
  async #listModels(signal: AbortSignal): Promise<unknown> {
    const { 'content-type': _, ...headers } = this.http.headers;
    const res = await this.http.client.send(this.name, {
      url: `${this.settings.baseURL}/models`,
      method: 'GET',
      headers,
      signal,
      timeoutMs: this.settings.timeoutMs,
    });
    if (res.statusCode >= 400) {
      await res.body.dump().catch(() => undefined);
      throw new Error(`the upstream answered ${res.statusCode}`);
    }
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      // leaving the loop early (throw) destroys the body
      size += (chunk as Buffer).length;
      if (size > MAX_LIST_BYTES) throw new Error(`the answer is larger than ${MAX_LIST_BYTES} bytes`);
      parts.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      throw new Error('the answer is not JSON');
    }
  }

  /** Passthrough to any endpoint below the base URL (./forward.ts). */
  forward(req: ForwardRequest): Promise<UpstreamResponse> {
    return openaiForward(this.http.client, this.name, this.settings.baseURL, this.http.headers, req);
  }

  describe(): Record<string, string> {
    return { baseURL: this.settings.baseURL, apiKey: maskSecret(this.settings.apiKey) };
  }

  async chat(request: T.ChatCompletionRequest, call: UpstreamCall): Promise<T.ChatCompletionResponse> {
    checkInputAudio(request.messages);
    const body =
      request.stream || request.stream_options ? { ...request, stream: undefined, stream_options: undefined } : request;
    // The answer's promise as is: no suspended frame of this function while the upstream answers.
    return this.#postJson('/chat/completions', body, call, true) as Promise<T.ChatCompletionResponse>;
  }

  async chatStream(
    request: T.ChatCompletionRequest,
    call: UpstreamCall,
  ): Promise<AsyncIterable<T.ChatCompletionChunk>> {
    checkInputAudio(request.messages);
    const body = this.settings.streamUsage
      ? { ...request, stream: true, stream_options: { ...request.stream_options, include_usage: true } }
      : { ...request, stream: true };
    const res = await this.http.postStream(this.#url('/chat/completions'), body, call);
    return openAIChunks(this.http, res, call);
  }

  async embeddings(request: T.EmbeddingsRequest, call: UpstreamCall): Promise<T.EmbeddingsResponse> {
    return (await this.#postJson('/embeddings', request, call)) as T.EmbeddingsResponse;
  }

  /** POST {baseURL}/moderations (OpenAI's format; the guardrails' moderation check). */
  async moderations(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>> {
    const res = await this.#post('/moderations', body, call);
    return (await this.http.json(res, call)) as Record<string, unknown>;
  }

  /** The legacy completions, image, speech and audio endpoints (media.ts). */
  completions(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeResponsesAnswer> {
    return completions(this.#media, body, call);
  }

  imageGenerations(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>> {
    return imageGenerations(this.#media, body, call);
  }

  imageUpload(
    kind: 'edits' | 'variations',
    form: (model: string) => MultipartBody,
    call: UpstreamCall,
  ): Promise<Record<string, unknown>> {
    return imageUpload(this.#media, kind, form(call.target.model), call);
  }

  speech(body: Record<string, unknown>, call: UpstreamCall): Promise<BinaryAnswer> {
    return speech(this.#media, body, call);
  }

  audio(
    kind: 'transcriptions' | 'translations',
    form: (model: string) => MultipartBody,
    call: UpstreamCall,
  ): Promise<TextAnswer> {
    return audio(this.#media, kind, form(call.target.model), call);
  }

  /** What media.ts needs of this adapter: sending with its key and headers, its error mapping and readers. */
  readonly #media: MediaUpstream = {
    name: () => this.name,
    streamUsage: () => this.settings.streamUsage,
    send: (path, body, call, headers) =>
      this.http.send({
        url: this.settings.baseURL + path,
        headers: { ...this.http.headers, ...headers },
        body,
        signal: call.signal,
      }),
    json: (res, call) => this.http.json(res, call),
    events: (res, call) => responsesEvents(this.http, res, call),
    timeoutMs: () => this.http.timeoutMs,
  };

  /** POST {baseURL}/responses with the client's body: the JSON answer, or the raw typed SSE events. */
  async #responses(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeResponsesAnswer> {
    if (body.stream !== true) {
      const res = await this.#post('/responses', body, call);
      return { kind: 'json', body: (await this.http.json(res, call)) as Record<string, unknown> };
    }
    const res = await this.#post('/responses', body, call, 'text/event-stream');
    return { kind: 'stream', events: responsesEvents(this.http, res, call) };
  }

  /** POST {baseURL}/rerank in the upstream's format (rerank.ts). */
  async #rerank(format: RerankFormat, request: T.RerankRequest, call: UpstreamCall): Promise<T.RerankResponse> {
    const { body, dropped } = toRerank(format, request);
    reportDropped(call, dropped);
    const res = await this.#post('/rerank', body, call);
    const out = fromRerank(format, await this.http.json(res, call));
    if (!out)
      throw errors.upstreamBadResponse(
        this.name,
        `the rerank answer has no ${format === 'voyage' ? 'data' : 'results'}`,
      );
    return out;
  }

  /** POST a JSON body and read the whole JSON answer (ProviderHttp.postJson). */
  /**
   * {baseURL}{path}, the same string for the same path: a URL concatenated per call had to be flattened
   * and hashed again by the upstream client's URL memo (splitUrl, ~0.5 µs a request in bench/).
   */
  #url(path: string): string {
    let url = this.#urls.get(path);
    if (url === undefined) this.#urls.set(path, (url = this.settings.baseURL + path));
    return url;
  }

  #postJson(path: string, body: unknown, call: UpstreamCall, keepRaw = false) {
    return this.http.postJson(this.#url(path), body, call, keepRaw);
  }

  #post(path: string, body: unknown, call: UpstreamCall, accept?: string) {
    return this.http.post(this.#url(path), body, call, { accept });
  }
}
