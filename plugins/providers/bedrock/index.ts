/**
 * Amazon Bedrock provider: chat through the Converse / ConverseStream APIs
 * (POST {base}/model/{modelId}/converse and /converse-stream, modelId URL-encoded), embeddings
 * through InvokeModel for Titan Text Embeddings (v2: {inputText, dimensions, normalize}) and
 * Cohere Embed ({texts, input_type}).
 *
 * Auth, first match wins: options.apiKey (a Bedrock API key, sent as `Authorization: Bearer`);
 * options.accessKeyId + secretAccessKey (+ sessionToken), signed with SigV4 (service "bedrock");
 * env AWS_BEARER_TOKEN_BEDROCK; env AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
 * Region: options.region, AWS_REGION, AWS_DEFAULT_REGION. Base URL: options.baseURL,
 * BEDROCK_BASE_URL, else https://bedrock-runtime.{region}.amazonaws.com.
 *
 * Translation rules are listed in request.ts: in short, images only as data: URLs (http URLs are
 * a 400, Converse needs bytes), tool_choice "none" omits the tools, response_format JSON becomes a
 * system instruction, and unsupported parameters are dropped and named in
 * x-switchyard-dropped-params. reasoningContent comes back as `reasoning_content`.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, errors } from '../../../core/errors.js';
import { maskSecret } from '../../../core/mask.js';
import { definePlugin } from '../../../core/plugin.js';
import type { ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
} from '../../../core/types.js';
import { readErrorBody, readJsonBody, transportError, type UpstreamClient, type UpstreamResponse } from '../../../core/upstream.js';
import { bedrockError, errorName, parseErrorBody } from './errors.js';
import { toConverse } from './request.js';
import { fromConverse, type ConverseResponse } from './response.js';
import { signRequest, type AwsCredentials } from './sigv4.js';
import { converseChunks } from './stream.js';

export interface BedrockOptions {
  name?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Bedrock API key (bearer token). */
  apiKey?: string;
  /** Override of https://bedrock-runtime.{region}.amazonaws.com (tests, VPC endpoints, proxies). */
  baseURL?: string;
  /** Models to advertise (replaces the built-in list). */
  models?: string[];
  timeoutMs?: number;
}

/** Current Bedrock model ids (in-region and cross-region inference profiles). */
export const BEDROCK_MODELS: string[] = [
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'anthropic.claude-haiku-4-5-20251001-v1:0',
  'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  'anthropic.claude-opus-4-1-20250805-v1:0',
  'us.anthropic.claude-opus-4-1-20250805-v1:0',
  'anthropic.claude-opus-4-20250514-v1:0',
  'us.anthropic.claude-opus-4-20250514-v1:0',
  'anthropic.claude-sonnet-4-20250514-v1:0',
  'us.anthropic.claude-sonnet-4-20250514-v1:0',
  'eu.anthropic.claude-sonnet-4-20250514-v1:0',
  'apac.anthropic.claude-sonnet-4-20250514-v1:0',
  'anthropic.claude-3-7-sonnet-20250219-v1:0',
  'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'us.anthropic.claude-3-5-haiku-20241022-v1:0',
  'anthropic.claude-3-haiku-20240307-v1:0',
  'amazon.nova-premier-v1:0',
  'us.amazon.nova-premier-v1:0',
  'amazon.nova-pro-v1:0',
  'us.amazon.nova-pro-v1:0',
  'amazon.nova-lite-v1:0',
  'us.amazon.nova-lite-v1:0',
  'amazon.nova-micro-v1:0',
  'us.amazon.nova-micro-v1:0',
  'us.meta.llama4-maverick-17b-instruct-v1:0',
  'us.meta.llama4-scout-17b-instruct-v1:0',
  'meta.llama3-3-70b-instruct-v1:0',
  'us.meta.llama3-3-70b-instruct-v1:0',
  'meta.llama3-1-70b-instruct-v1:0',
  'meta.llama3-1-8b-instruct-v1:0',
  'us.meta.llama3-2-90b-instruct-v1:0',
  'us.meta.llama3-2-11b-instruct-v1:0',
  'mistral.mistral-large-2407-v1:0',
  'mistral.mistral-large-2402-v1:0',
  'mistral.mistral-small-2402-v1:0',
  'us.mistral.pixtral-large-2502-v1:0',
  'amazon.titan-embed-text-v2:0',
  'cohere.embed-english-v3',
  'cohere.embed-multilingual-v3',
];

const isEmbeddingModel = (id: string) => /embed/i.test(id);

type Auth = { kind: 'bearer'; token: string } | { kind: 'sigv4'; credentials: AwsCredentials };

interface Settings {
  name: string;
  baseURL: string;
  region: string;
  auth: Auth;
  models: string[];
  timeoutMs?: number;
}

export class BedrockAdapter implements ProviderAdapter {
  readonly name: string;
  readonly #s: Settings;
  readonly #http: UpstreamClient;
  readonly #models: ModelInfo[];

  constructor(settings: Settings, http: UpstreamClient) {
    this.name = settings.name;
    this.#s = settings;
    this.#http = http;
    this.#models = settings.models.map((id) => ({ id, kind: isEmbeddingModel(id) ? 'embeddings' : 'chat' }));
  }

  models(): ModelInfo[] {
    return this.#models;
  }

  describe(): Record<string, string> {
    const a = this.#s.auth;
    return {
      baseURL: this.#s.baseURL,
      region: this.#s.region || '(none)',
      auth: a.kind === 'bearer' ? `Bedrock API key ${maskSecret(a.token)}` : `SigV4 ${maskSecret(a.credentials.accessKeyId)}${a.credentials.sessionToken ? ' (session)' : ''}`,
    };
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const { body, dropped } = toConverse(request);
    this.#recordDropped(call, dropped);
    const res = await this.#post(request.model, 'converse', body, call, 'application/json');
    const parsed = (await this.#json(res, call)) as ConverseResponse;
    if (!parsed || typeof parsed !== 'object' || !parsed.output) throw errors.upstreamBadResponse(this.name, 'no output in the Converse answer');
    return fromConverse(parsed, request.model, this.#id(res));
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const { body, dropped } = toConverse(request);
    this.#recordDropped(call, dropped);
    const res = await this.#post(request.model, 'converse-stream', body, call, 'application/vnd.amazon.eventstream');
    return converseChunks(res.body, {
      provider: this.name, id: this.#id(res), model: request.model,
      timeoutMs: this.#s.timeoutMs ?? this.#http.timeoutMs, signal: call.signal,
    });
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    if (!Array.isArray(inputs) || !inputs.every((x): x is string => typeof x === 'string')) {
      throw new GatewayError(400, 'Amazon Bedrock embeddings take text input only (a string or an array of strings), not token arrays.', {
        code: 'invalid_request', param: 'input',
      });
    }
    const model = request.model;
    let vectors: number[][];
    let tokens = 0;
    if (/cohere\.embed/i.test(model)) {
      if (request.dimensions !== undefined) this.#recordDropped(call, ['dimensions']);
      const res = await this.#post(model, 'invoke', { texts: inputs, input_type: 'search_document' }, call, 'application/json');
      tokens = Number(res.headers['x-amzn-bedrock-input-token-count'] ?? 0) || 0;
      const parsed = (await this.#json(res, call)) as { embeddings?: number[][] | { float?: number[][] } };
      const e = parsed?.embeddings;
      vectors = Array.isArray(e) ? e : e?.float ?? [];
    } else if (/titan-embed/i.test(model)) {
      const results = await Promise.all(inputs.map(async (inputText) => {
        const body: Record<string, unknown> = { inputText };
        if (/v2/i.test(model)) {
          if (request.dimensions !== undefined) body.dimensions = request.dimensions;
          body.normalize = true;
        }
        const res = await this.#post(model, 'invoke', body, call, 'application/json');
        return (await this.#json(res, call)) as { embedding?: number[]; inputTextTokenCount?: number };
      }));
      vectors = results.map((r) => r.embedding ?? []);
      tokens = results.reduce((n, r) => n + (r.inputTextTokenCount ?? 0), 0);
    } else {
      throw errors.unsupported(`Embeddings with model "${model}" (supported: amazon.titan-embed-*, cohere.embed-*)`, this.name);
    }
    if (vectors.length !== inputs.length) throw errors.upstreamBadResponse(this.name, 'the number of embeddings does not match the input');
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding' as const, index,
        embedding: request.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  #recordDropped(call: UpstreamCall, dropped: string[]): void {
    if (!dropped.length) return;
    const h = call.ctx.responseHeaders;
    const prev = h['x-switchyard-dropped-params'];
    h['x-switchyard-dropped-params'] = prev ? [...new Set([...prev.split(','), ...dropped])].join(',') : dropped.join(',');
  }

  #id(res: UpstreamResponse): string {
    const rid = res.headers['x-amzn-requestid'];
    return `chatcmpl-${typeof rid === 'string' && rid ? rid : randomUUID()}`;
  }

  async #post(model: string, action: string, body: unknown, call: UpstreamCall, accept: string): Promise<UpstreamResponse> {
    const url = `${this.#s.baseURL}/model/${encodeURIComponent(model)}/${action}`;
    const payload = JSON.stringify(body);
    let headers: Record<string, string> = { 'content-type': 'application/json', accept };
    const auth = this.#s.auth;
    if (auth.kind === 'bearer') headers.authorization = `Bearer ${auth.token}`;
    else {
      headers = signRequest({
        method: 'POST', url, headers, body: payload, region: this.#s.region, service: 'bedrock', credentials: auth.credentials,
      }).headers;
    }
    const res = await this.#http.send(this.name, { url, headers, body: payload, signal: call.signal, timeoutMs: this.#s.timeoutMs });
    if (res.statusCode >= 400) throw await this.#error(res);
    return res;
  }

  #json(res: UpstreamResponse, call: UpstreamCall): Promise<unknown> {
    return readJsonBody(this.name, res, this.#s.timeoutMs ?? this.#http.timeoutMs, call.signal);
  }

  async #error(res: UpstreamResponse): Promise<GatewayError> {
    const text = await readErrorBody(res);
    const parsed = parseErrorBody(text);
    const header = res.headers['x-amzn-errortype'];
    const headers: Record<string, string> = {};
    const ra = res.headers['retry-after'];
    if (typeof ra === 'string') headers['retry-after'] = ra;
    return bedrockError({
      provider: this.name,
      status: res.statusCode,
      name: errorName(typeof header === 'string' ? header : undefined) ?? parsed.name,
      message: parsed.message,
      headers,
    });
  }
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    region: { type: 'string', pattern: '^[a-z0-9-]+$' },
    accessKeyId: { type: 'string', minLength: 1 },
    secretAccessKey: { type: 'string', minLength: 1 },
    sessionToken: { type: 'string', minLength: 1 },
    apiKey: { type: 'string', minLength: 1 },
    baseURL: { type: 'string', pattern: '^https?://' },
    models: { type: 'array', items: { type: 'string', minLength: 1 } },
    timeoutMs: { type: 'integer', minimum: 1 },
  },
};

function resolveAuth(name: string, o: BedrockOptions, env: NodeJS.ProcessEnv): Auth {
  if (o.apiKey) return { kind: 'bearer', token: o.apiKey };
  if (o.accessKeyId || o.secretAccessKey) {
    if (!o.accessKeyId || !o.secretAccessKey) {
      throw new Error(`Provider "${name}": pass both accessKeyId and secretAccessKey (or neither).`);
    }
    return { kind: 'sigv4', credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, sessionToken: o.sessionToken } };
  }
  if (env.AWS_BEARER_TOKEN_BEDROCK) return { kind: 'bearer', token: env.AWS_BEARER_TOKEN_BEDROCK };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      kind: 'sigv4',
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: o.sessionToken ?? (env.AWS_SESSION_TOKEN || undefined) },
    };
  }
  throw new Error(`Provider "${name}" has no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
    `(and AWS_SESSION_TOKEN for temporary credentials), or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, ` +
    `or pass { accessKeyId, secretAccessKey } or { apiKey }.`);
}

export const bedrock = definePlugin<BedrockOptions>({
  name: (o) => o.name ?? 'bedrock',
  schema,
  apply(gateway, o) {
    const name = o.name ?? 'bedrock';
    const env = process.env;
    const auth = resolveAuth(name, o, env);
    const region = o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
    const configuredBase = o.baseURL ?? env.BEDROCK_BASE_URL;
    if (!region && (auth.kind === 'sigv4' || !configuredBase)) {
      throw new Error(`Provider "${name}" has no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) or pass { region }.`);
    }
    if (region && !/^[a-z0-9-]+$/.test(region)) throw new Error(`Provider "${name}": region "${region}" is not a valid AWS region name.`);
    const baseURL = (configuredBase ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(baseURL)) {
      throw new Error(`Provider "${name}": base URL "${baseURL}" (from ${o.baseURL ? 'baseURL' : 'BEDROCK_BASE_URL'}) must start with http:// or https://.`);
    }
    gateway.providers.register(new BedrockAdapter({
      name, baseURL, region, auth, models: o.models ?? BEDROCK_MODELS, timeoutMs: o.timeoutMs,
    }, gateway.upstream));
  },
});
