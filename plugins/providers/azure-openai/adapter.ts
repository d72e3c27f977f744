/**
 * Azure OpenAI. The wire format is OpenAI's, so this adapter composes the unmodified
 * OpenAICompatibleAdapter and only changes what differs on Azure:
 *
 * - URLs. Deployment mode (default): {endpoint}/openai/deployments/{deployment}/chat/completions
 *   ?api-version={apiVersion} (and /embeddings). One inner adapter per deployment, whose base URL is
 *   the deployment's path; the api-version query is appended by a thin wrapper around the shared
 *   pooled UpstreamClient (same undici Agent, no new connections pool). v1 mode (`useV1Api`):
 *   {endpoint}/openai/v1/chat/completions with `model` = deployment name, no api-version.
 * - Auth: the `api-key` header instead of `Authorization: Bearer`.
 * - Model names: `deployments` maps the model name clients ask for to the deployment name.
 * - Errors: Azure's `{error: {code: "401" | "429" | "DeploymentNotFound" | "content_filter", ...}}`
 *   codes are normalised to OpenAI's (invalid_api_key, rate_limit_exceeded, model_not_found, ...);
 *   a prompt blocked by the content filter stays a 400 with code `content_filter`.
 * - Streams: Azure's first event carries only `prompt_filter_results` (`choices: []`, empty id and
 *   model) and async-filter events may carry only `content_filter_results`; those are dropped so
 *   the client sees a canonical stream (role first, then deltas, finish, usage).
 *   `finish_reason: "content_filter"` passes through unchanged (it is already OpenAI's value).
 */
import { GatewayError, errors, type ErrorType } from '../../../core/errors.js';
import { maskSecret } from '../../../core/mask.js';
import type { ProviderAdapter, UpstreamCall } from '../../../core/provider.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
} from '../../../core/types.js';
import type { UpstreamClient, UpstreamRequest } from '../../../core/upstream.js';
import { OpenAICompatibleAdapter } from '../openai-compatible/adapter.js';
import { dropRaw } from '../../../core/chunks.js';

export interface AzureOpenAISettings {
  name: string;
  /** https://<resource>.openai.azure.com (no trailing slash, no /openai). */
  endpoint: string;
  apiKey: string;
  apiVersion: string;
  /** Model name clients use -> Azure deployment name. */
  deployments: Record<string, string>;
  /** Use the v1 API ({endpoint}/openai/v1/..., model = deployment) instead of deployment URLs. */
  useV1Api: boolean;
  /** Bare model names matching this pattern are routed here even when not in `deployments`. */
  claims?: RegExp;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Azure answers some errors with the HTTP status as `code`; these are OpenAI's codes for them. */
const NUMERIC_CODES: Record<string, { code: string; type: ErrorType }> = {
  '400': { code: 'invalid_request', type: 'invalid_request_error' },
  '401': { code: 'invalid_api_key', type: 'authentication_error' },
  '403': { code: 'permission_denied', type: 'permission_error' },
  '404': { code: 'not_found', type: 'invalid_request_error' },
  '408': { code: 'timeout', type: 'timeout_error' },
  '429': { code: 'rate_limit_exceeded', type: 'rate_limit_error' },
  '500': { code: 'server_error', type: 'server_error' },
  '503': { code: 'service_unavailable', type: 'api_error' },
};

/** Azure's named error codes with an OpenAI equivalent. */
const NAMED_CODES: Record<string, { code: string; type?: ErrorType; param?: string }> = {
  DeploymentNotFound: { code: 'model_not_found', type: 'invalid_request_error', param: 'model' },
  InvalidApiVersion: { code: 'invalid_api_version', type: 'invalid_request_error' },
  MissingApiVersionParameter: { code: 'invalid_api_version', type: 'invalid_request_error' },
  ServiceUnavailable: { code: 'service_unavailable', type: 'api_error' },
  InternalServerError: { code: 'server_error', type: 'server_error' },
  TooManyRequests: { code: 'rate_limit_exceeded', type: 'rate_limit_error' },
  PermissionDenied: { code: 'permission_denied', type: 'permission_error' },
};

/** The shared pooled client, with a query string appended to every URL. */
function withQuery(http: UpstreamClient, query: string): UpstreamClient {
  if (!query) return http;
  const wrapped: Pick<UpstreamClient, 'agent' | 'timeoutMs' | 'send' | 'close'> = {
    agent: http.agent,
    timeoutMs: http.timeoutMs,
    send: (provider: string, req: UpstreamRequest) => http.send(provider, { ...req, url: req.url + query }),
    // The pool belongs to the gateway; closing a view of it must not close it.
    close: () => Promise.resolve(),
  };
  return wrapped as UpstreamClient;
}

export class AzureOpenAIAdapter implements ProviderAdapter {
  readonly name: string;
  readonly #s: AzureOpenAISettings;
  readonly #http: UpstreamClient;
  readonly #inner = new Map<string, OpenAICompatibleAdapter>();
  readonly #models: ModelInfo[];

  constructor(settings: AzureOpenAISettings, http: UpstreamClient) {
    this.name = settings.name;
    this.#s = settings;
    this.#http = withQuery(http, settings.useV1Api ? '' : `?api-version=${encodeURIComponent(settings.apiVersion)}`);
    this.#models = Object.keys(settings.deployments).map((id) => ({ id, kind: /embed/i.test(id) ? 'embeddings' : 'chat' }));
  }

  models(): ModelInfo[] {
    return this.#models;
  }

  claims(model: string): boolean {
    return model in this.#s.deployments || (this.#s.claims?.test(model) ?? false);
  }

  describe(): Record<string, string> {
    return {
      endpoint: this.#s.endpoint,
      api: this.#s.useV1Api ? 'v1' : `deployments (api-version ${this.#s.apiVersion})`,
      deployments: Object.entries(this.#s.deployments).map(([m, d]) => (m === d ? m : `${m}->${d}`)).join(', ') || '(model name = deployment name)',
      apiKey: maskSecret(this.#s.apiKey),
    };
  }

  /** The Azure deployment serving a model name (the name itself when not mapped). */
  deploymentFor(model: string): string {
    return this.#s.deployments[model] ?? model;
  }

  #adapter(deployment: string): OpenAICompatibleAdapter {
    const key = this.#s.useV1Api ? '' : deployment;
    let a = this.#inner.get(key);
    if (!a) {
      const base = this.#s.useV1Api
        ? `${this.#s.endpoint}/openai/v1`
        : `${this.#s.endpoint}/openai/deployments/${encodeURIComponent(deployment)}`;
      a = new OpenAICompatibleAdapter({
        name: this.name,
        baseURL: base,
        headers: { 'api-key': this.#s.apiKey, ...this.#s.headers },
        models: [],
        streamUsage: true,
        timeoutMs: this.#s.timeoutMs,
      }, this.#http);
      this.#inner.set(key, a);
    }
    return a;
  }

  async chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse> {
    const deployment = this.deploymentFor(request.model);
    try {
      // Azure answers are adjusted here, so the upstream's raw JSON text no longer describes them.
      const res = dropRaw(await this.#adapter(deployment).chat({ ...request, model: deployment }, call));
      if (!res.model) res.model = request.model;
      return res;
    } catch (e) {
      throw this.#mapError(e);
    }
  }

  async chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>> {
    const deployment = this.deploymentFor(request.model);
    let inner: AsyncIterable<ChatCompletionChunk>;
    try {
      inner = await this.#adapter(deployment).chatStream({ ...request, model: deployment }, call);
    } catch (e) {
      throw this.#mapError(e);
    }
    return this.#clean(inner, request.model);
  }

  async embeddings(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse> {
    const deployment = this.deploymentFor(request.model);
    try {
      const res = await this.#adapter(deployment).embeddings({ ...request, model: deployment }, call);
      if (!res.model) res.model = request.model;
      return res;
    } catch (e) {
      throw this.#mapError(e);
    }
  }

  /** Drop Azure's filter-annotation-only events; fill in the id/model Azure leaves empty. */
  async *#clean(inner: AsyncIterable<ChatCompletionChunk>, model: string): AsyncGenerator<ChatCompletionChunk> {
    let id = '';
    let created = 0;
    const it = inner[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<ChatCompletionChunk>;
        try {
          next = await it.next();
        } catch (e) {
          // A connection that breaks after the stream began is an interrupted stream.
          if (e instanceof GatewayError && e.code === 'upstream_unreachable') throw errors.streamInterrupted(this.name, 'the connection broke before [DONE]');
          throw this.#mapError(e);
        }
        if (next.done) return;
        const chunk = next.value;
        if (chunk.choices.length === 0 && !chunk.usage) continue; // prompt_filter_results only
        const choices = chunk.choices.filter((c) => c.finish_reason || hasDelta(c.delta));
        if (chunk.choices.length && choices.length === 0 && !chunk.usage) continue; // content_filter_results only
        if (chunk.id) id = chunk.id;
        if (chunk.created) created = chunk.created;
        yield dropRaw({
          ...chunk,
          id: chunk.id || id,
          created: chunk.created || created || Math.floor(Date.now() / 1000),
          model: chunk.model || model,
          object: 'chat.completion.chunk' as const,
          choices,
        });
      }
    } finally {
      await it.return?.();
    }
  }

  /** Normalise Azure's error codes to OpenAI's; everything else is kept as the inner adapter built it. */
  #mapError(e: unknown): unknown {
    if (!(e instanceof GatewayError) || !e.upstream?.status) return e;
    const numeric = e.code !== null && e.code === String(e.status) ? NUMERIC_CODES[e.code] : undefined;
    const named = e.code ? NAMED_CODES[e.code] : undefined;
    let code = numeric?.code ?? named?.code ?? e.code;
    let type: string = numeric?.type ?? named?.type ?? e.type;
    let param = e.param ?? named?.param ?? null;
    if (e.status === 400 && !code && /maximum context length|context_length_exceeded|too many tokens/i.test(e.message)) {
      code = 'context_length_exceeded';
      param = param ?? 'messages';
    }
    if (code === 'content_filter') type = 'invalid_request_error';
    if (code === e.code && type === e.type && param === e.param) return e;
    return new GatewayError(e.status, e.message, {
      type, code, param, headers: e.headers, retryable: e.retryable, upstream: e.upstream, cause: e.cause,
    });
  }
}

function hasDelta(delta: ChatCompletionChunk['choices'][number]['delta'] | undefined): boolean {
  if (!delta) return false;
  return delta.role !== undefined || typeof delta.content === 'string' || Boolean(delta.tool_calls?.length) ||
    typeof delta.refusal === 'string' || Boolean((delta as { function_call?: unknown }).function_call);
}
