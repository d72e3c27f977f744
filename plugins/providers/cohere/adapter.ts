/**
 * Cohere adapter: Chat API v2 (POST {baseURL}/v2/chat, plain and `stream: true` with typed SSE
 * events) and Embed API v2 (POST {baseURL}/v2/embed), translated to and from the canonical OpenAI
 * shapes (request.ts: the request rules, response.ts, stream.ts: stream events, errors.ts), and Rerank API
 * v2 (POST {baseURL}/v2/rerank; the canonical rerank request is Cohere's own, sent as it is).
 */
import { errors } from '../../../core/errors.js';
import { maskSecret } from '../../../core/mask.js';
import { jsonHeaders, HttpAdapter, refuseAudioOutput, reportDropped } from '../../../core/provider-kit/index.js';
import type { ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  RerankRequest,
  RerankResponse,
} from '../../../core/types.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import type { ForwardRequest } from '../../../core/forward.js';
import { cohereForward } from './forward.js';
import { errorFromResponse } from './errors.js';
import { toCohereChat, toCohereEmbed, type CohereInputType } from './request.js';
import { fromCohereChat, fromCohereEmbed, type CohereChatResponse, type CohereEmbedResponse } from './response.js';
import { cohereChunks } from './stream.js';

export interface CohereSettings {
  name: string;
  /** e.g. https://api.cohere.com (without /v2). */
  baseURL: string;
  apiKey: string;
  models: string[];
  claims?: RegExp;
  /** input_type for embeddings when the request does not give one. */
  embedInputType: CohereInputType;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class CohereAdapter extends HttpAdapter<CohereSettings> implements ProviderAdapter {
  constructor(settings: CohereSettings, http: UpstreamClient) {
    super(settings, http, {
      headers: jsonHeaders({ authorization: `Bearer ${settings.apiKey}`, ...settings.headers }),
      error: (res) => errorFromResponse(settings.name, res),
      embeddings: /^embed/i,
    });
  }

  /** Passthrough to any endpoint below the base URL, e.g. /v2/rerank (./forward.ts). */
  forward(req: ForwardRequest): Promise<UpstreamResponse> {
    return cohereForward(this.http.client, this.settings, req);
  }

  describe(): Record<string, string> {
    return {
      baseURL: this.settings.baseURL,
      apiKey: maskSecret(this.settings.apiKey),
      embedInputType: this.settings.embedInputType,
    };
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    refuseAudioOutput(request, this.name); // Cohere answers in text only
    const { body, dropped } = toCohereChat(request, false);
    reportDropped(call, dropped);
    const res = await this.#post('/v2/chat', body, call);
    const parsed = (await this.http.json(res, call)) as CohereChatResponse;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.finish_reason !== 'string') {
      throw errors.upstreamBadResponse(this.name, 'the chat response has no finish_reason');
    }
    return fromCohereChat(parsed, request.model, this.name);
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    refuseAudioOutput(request, this.name); // Cohere answers in text only
    const { body, dropped } = toCohereChat(request, true);
    reportDropped(call, dropped);
    const res = await this.#post('/v2/chat', body, call, 'text/event-stream');
    return cohereChunks(this.http, res, call, request.model);
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const { body, dropped } = toCohereEmbed(request, this.settings.embedInputType);
    reportDropped(call, dropped);
    const res = await this.#post('/v2/embed', body, call);
    const out = fromCohereEmbed((await this.http.json(res, call)) as CohereEmbedResponse, request);
    if (!out) throw errors.upstreamBadResponse(this.name, 'the embed response has no float embeddings');
    return out;
  }

  /** POST {baseURL}/v2/rerank: the canonical request is Cohere's own (its other fields go as the client sent them). */
  async rerank(request: RerankRequest, call: UpstreamCall): Promise<RerankResponse> {
    const res = await this.#post('/v2/rerank', request, call);
    return (await this.http.json(res, call)) as RerankResponse;
  }

  #post(path: string, body: unknown, call: UpstreamCall, accept?: string) {
    return this.http.post(this.settings.baseURL + path, body, call, { accept });
  }
}
