/**
 * The Bedrock adapter: chat through Converse / ConverseStream (POST {base}/model/{modelId}/converse
 * and /converse-stream, modelId URL-encoded; request.ts, response.ts, stream.ts), embeddings through
 * InvokeModel for Titan Text Embeddings and Cohere Embed, rerank through the agent runtime's Rerank API
 * (rerank.ts); error answers in errors.ts. Requests carry
 * a Bedrock API key (bearer) or are signed with SigV4 (sigv4.ts).
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, errors } from '../../../core/errors.js';
import { maskSecret } from '../../../core/mask.js';
import { HttpAdapter, refuseAudioOutput, reportDropped } from '../../../core/provider-kit/index.js';
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
import { errorFromResponse } from './errors.js';
import { toConverse } from './request.js';
import { fromBedrockRerank, toBedrockRerank } from './rerank.js';
import { fromConverse, type ConverseResponse } from './response.js';
import { signRequest, type AwsCredentials } from './sigv4.js';
import { converseChunks } from './stream.js';

export type Auth = { kind: 'bearer'; token: string } | { kind: 'sigv4'; credentials: AwsCredentials };

export interface BedrockSettings {
  name: string;
  baseURL: string;
  region: string;
  auth: Auth;
  models: string[];
  timeoutMs?: number;
  /** The Agents for Amazon Bedrock runtime (its Rerank API); rerank is off without it. */
  agentRuntimeURL?: string;
}

export class BedrockAdapter extends HttpAdapter<BedrockSettings> implements ProviderAdapter {
  /** Present when the agent runtime's URL is known (a region): POST /v1/rerank (rerank.ts). */
  readonly rerank?: (request: RerankRequest, call: UpstreamCall) => Promise<RerankResponse>;

  constructor(settings: BedrockSettings, http: UpstreamClient) {
    super(settings, http, { error: (res) => errorFromResponse(settings.name, res) });
    const agent = settings.agentRuntimeURL;
    if (agent) this.rerank = (request, call) => this.#rerank(agent, request, call);
  }

  describe(): Record<string, string> {
    const a = this.settings.auth;
    return {
      baseURL: this.settings.baseURL,
      region: this.settings.region || '(none)',
      auth:
        a.kind === 'bearer'
          ? `Bedrock API key ${maskSecret(a.token)}`
          : `SigV4 ${maskSecret(a.credentials.accessKeyId)}${a.credentials.sessionToken ? ' (session)' : ''}`,
    };
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    refuseAudioOutput(request, this.name); // Converse answers in text only
    const { body, dropped } = toConverse(request);
    reportDropped(call, dropped);
    const res = await this.#post(request.model, 'converse', body, call, 'application/json');
    const parsed = (await this.#json(res, call)) as ConverseResponse;
    if (!parsed || typeof parsed !== 'object' || !parsed.output)
      throw errors.upstreamBadResponse(this.name, 'no output in the Converse answer');
    return fromConverse(parsed, request.model, this.#id(res));
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    refuseAudioOutput(request, this.name); // Converse answers in text only
    const { body, dropped } = toConverse(request);
    reportDropped(call, dropped);
    const res = await this.#post(request.model, 'converse-stream', body, call, 'application/vnd.amazon.eventstream');
    return converseChunks(res.body, {
      provider: this.name,
      id: this.#id(res),
      model: request.model,
      timeoutMs: this.http.timeoutMs,
      signal: call.signal,
    });
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    if (!Array.isArray(inputs) || !inputs.every((x): x is string => typeof x === 'string')) {
      throw new GatewayError(
        400,
        'Amazon Bedrock embeddings take text input only (a string or an array of strings), not token arrays.',
        {
          code: 'invalid_request',
          param: 'input',
        },
      );
    }
    const model = request.model;
    let vectors: number[][];
    let tokens = 0;
    if (/cohere\.embed/i.test(model)) {
      if (request.dimensions !== undefined) reportDropped(call, ['dimensions']);
      const res = await this.#post(
        model,
        'invoke',
        { texts: inputs, input_type: 'search_document' },
        call,
        'application/json',
      );
      tokens = Number(res.headers['x-amzn-bedrock-input-token-count'] ?? 0) || 0;
      const parsed = (await this.#json(res, call)) as { embeddings?: number[][] | { float?: number[][] } };
      const e = parsed?.embeddings;
      vectors = Array.isArray(e) ? e : (e?.float ?? []);
    } else if (/titan-embed/i.test(model)) {
      const results = await Promise.all(
        inputs.map(async (inputText) => {
          const body: Record<string, unknown> = { inputText };
          if (/v2/i.test(model)) {
            if (request.dimensions !== undefined) body.dimensions = request.dimensions;
            body.normalize = true;
          }
          const res = await this.#post(model, 'invoke', body, call, 'application/json');
          return (await this.#json(res, call)) as { embedding?: number[]; inputTextTokenCount?: number };
        }),
      );
      vectors = results.map((r) => r.embedding ?? []);
      tokens = results.reduce((n, r) => n + (r.inputTextTokenCount ?? 0), 0);
    } else {
      throw errors.unsupported(
        `Embeddings with model "${model}" (supported: amazon.titan-embed-*, cohere.embed-*)`,
        this.name,
      );
    }
    if (vectors.length !== inputs.length)
      throw errors.upstreamBadResponse(this.name, 'the number of embeddings does not match the input');
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding' as const,
        index,
        embedding:
          request.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  async #rerank(base: string, request: RerankRequest, call: UpstreamCall): Promise<RerankResponse> {
    const { body, dropped } = toBedrockRerank(request, this.settings.region);
    reportDropped(call, dropped);
    const url = `${base}/rerank`;
    const res = await this.http.post(url, body, call, {
      headers: (payload) => this.#headers(url, payload, 'application/json'),
    });
    const rid = res.headers['x-amzn-requestid'];
    const id = typeof rid === 'string' && rid ? rid : randomUUID();
    const out = fromBedrockRerank(await this.#json(res, call), request.documents.length, id);
    if (!out) throw errors.upstreamBadResponse(this.name, 'no results in the Rerank answer');
    return out;
  }

  #id(res: UpstreamResponse): string {
    const rid = res.headers['x-amzn-requestid'];
    return `chatcmpl-${typeof rid === 'string' && rid ? rid : randomUUID()}`;
  }

  #post(model: string, action: string, body: unknown, call: UpstreamCall, accept: string): Promise<UpstreamResponse> {
    const url = `${this.settings.baseURL}/model/${encodeURIComponent(model)}/${action}`;
    return this.http.post(url, body, call, { headers: (payload) => this.#headers(url, payload, accept) });
  }

  /** Bearer auth, or the SigV4 signature of this exact payload. */
  #headers(url: string, payload: string, accept: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept };
    const auth = this.settings.auth;
    if (auth.kind === 'bearer') return { ...headers, authorization: `Bearer ${auth.token}` };
    return signRequest({
      method: 'POST',
      url,
      headers,
      body: payload,
      region: this.settings.region,
      service: 'bedrock',
      credentials: auth.credentials,
    }).headers;
  }

  #json(res: UpstreamResponse, call: UpstreamCall): Promise<unknown> {
    return this.http.json(res, call);
  }
}
