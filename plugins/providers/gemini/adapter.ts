/**
 * The adapter shared by the `gemini` (Google AI Studio / Gemini API) and `vertex` (Gemini on Vertex
 * AI) plugins. Both speak the same GenerateContent JSON; they differ in URL layout, authentication
 * and the embeddings method (batchEmbedContents vs predict). Image generations go to Imagen's predict
 * method on both (imagen.ts).
 */
import { GatewayError, errors } from '../../../core/errors.js';
import type { ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../../../core/types.js';
import { HttpAdapter, refuseAudioOutput, reportDropped } from '../../../core/provider-kit/index.js';
import type { UpstreamClient, UpstreamResponse } from '../../../core/upstream.js';
import { errorFromResponse } from './errors.js';
import { fromImagenResponse, toImagenRequest } from './imagen.js';
import { toGeminiRequest } from './request.js';
import { embeddingsResponse, fromGeminiResponse, type GeminiResponse } from './response.js';
import { geminiChunks } from './stream.js';

export interface GeminiAdapterSettings {
  name: string;
  flavor: 'gemini' | 'vertex';
  /** Full URL of `<model>:<method>` (the model id is already validated). */
  modelURL(model: string, method: string): string;
  /** Authentication headers for one upstream call. */
  authHeaders(signal: AbortSignal): Promise<Record<string, string>>;
  headers?: Record<string, string>;
  models: string[];
  claims?: RegExp;
  timeoutMs?: number;
  describe: Record<string, string>;
}

/** Model ids go into the URL path, so only plain ids are accepted (plus Gemini's tunedModels/...). */
const MODEL_ID = /^(?:tunedModels\/)?[A-Za-z0-9][A-Za-z0-9._@-]*$/;

export class GeminiAdapter extends HttpAdapter<GeminiAdapterSettings> implements ProviderAdapter {
  constructor(settings: GeminiAdapterSettings, http: UpstreamClient) {
    super(settings, http, { error: (res) => errorFromResponse(settings.name, res) });
  }

  describe(): Record<string, string> {
    return this.settings.describe;
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const model = this.#model(request.model);
    refuseAudioOutput(request, this.name); // translation of Gemini's audio answers is not implemented
    const { body, dropped } = toGeminiRequest(request);
    reportDropped(call, dropped);
    const res = await this.#post(model, 'generateContent', body, call);
    const json = (await this.#json(res, call)) as GeminiResponse;
    return fromGeminiResponse(this.name, json, request.model);
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const model = this.#model(request.model);
    refuseAudioOutput(request, this.name); // translation of Gemini's audio answers is not implemented
    const { body, dropped } = toGeminiRequest(request);
    reportDropped(call, dropped);
    const res = await this.#post(model, 'streamGenerateContent', body, call, true);
    return geminiChunks(this.name, res, request.model, call.signal, this.http.timeoutMs, this.http.maxEventBytes);
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const model = this.#model(request.model);
    const raw = request.input;
    const inputs =
      typeof raw === 'string'
        ? [raw]
        : Array.isArray(raw) && raw.every((x) => typeof x === 'string')
          ? (raw as string[])
          : undefined;
    if (!inputs)
      throw errors.invalidRequest(
        `Provider "${this.name}" embeds text only: ` +
          '"input" must be a string or an array of strings (token arrays are not supported).',
        'input',
      );
    if (!inputs.length) throw errors.invalidRequest('"input" must not be empty.', 'input');
    const dropped = Object.keys(request).filter(
      (k) => !['model', 'input', 'encoding_format', 'dimensions'].includes(k) && request[k] != null,
    );
    reportDropped(call, dropped);
    const dims = typeof request.dimensions === 'number' ? request.dimensions : undefined;

    if (this.settings.flavor === 'gemini') {
      const body = {
        requests: inputs.map((text) => ({
          model: model.startsWith('tunedModels/') ? model : `models/${model}`,
          content: { parts: [{ text }] },
          ...(dims ? { outputDimensionality: dims } : {}),
        })),
      };
      const res = await this.#post(model, 'batchEmbedContents', body, call);
      const json = (await this.#json(res, call)) as { embeddings?: Array<{ values?: number[] }> };
      const vectors = json.embeddings?.map((e) => e.values);
      if (!vectors || vectors.length !== inputs.length || vectors.some((v) => !Array.isArray(v))) {
        throw errors.upstreamBadResponse(this.name, 'the embeddings answer does not have one vector per input');
      }
      // batchEmbedContents reports no token counts: estimate ~4 characters per token.
      const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      return embeddingsResponse(vectors as number[][], request.model, tokens, request.encoding_format);
    }

    const body = {
      instances: inputs.map((content) => ({ content })),
      ...(dims ? { parameters: { outputDimensionality: dims } } : {}),
    };
    const res = await this.#post(model, 'predict', body, call);
    const json = (await this.#json(res, call)) as {
      predictions?: Array<{ embeddings?: { values?: number[]; statistics?: { token_count?: number } } }>;
    };
    const preds = json.predictions;
    if (!preds || preds.length !== inputs.length || preds.some((p) => !Array.isArray(p.embeddings?.values))) {
      throw errors.upstreamBadResponse(this.name, 'the embeddings answer does not have one vector per input');
    }
    const tokens = preds.reduce((n, p) => n + (p.embeddings?.statistics?.token_count ?? 0), 0);
    return embeddingsResponse(
      preds.map((p) => p.embeddings!.values!),
      request.model,
      tokens,
      request.encoding_format,
    );
  }

  /** POST /v1/images/generations on an Imagen model: its `predict` method (imagen.ts). */
  async imageGenerations(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>> {
    const model = this.#model(String(body.model));
    const { body: predict, dropped } = toImagenRequest(body);
    reportDropped(call, dropped);
    const res = await this.#post(model, 'predict', predict, call);
    return fromImagenResponse(this.name, await this.#json(res, call), body.output_format);
  }

  #model(model: string): string {
    const m = model.replace(/^models\//, '');
    if (!MODEL_ID.test(m)) {
      throw new GatewayError(404, `The model \`${model}\` is not a valid model id for provider "${this.name}".`, {
        code: 'model_not_found',
        param: 'model',
      });
    }
    return m;
  }

  async #post(
    model: string,
    method: string,
    body: unknown,
    call: UpstreamCall,
    stream = false,
  ): Promise<UpstreamResponse> {
    const auth = await this.settings.authHeaders(call.signal);
    const url = this.settings.modelURL(model, method) + (stream ? '?alt=sse' : '');
    const accept = stream ? 'text/event-stream' : 'application/json';
    return this.http.post(url, body, call, {
      headers: { 'content-type': 'application/json', accept, ...this.settings.headers, ...auth },
    });
  }

  #json(res: UpstreamResponse, call: UpstreamCall): Promise<unknown> {
    return this.http.json(res, call);
  }
}
