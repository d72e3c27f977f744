/**
 * Azure OpenAI. The wire format is OpenAI's, so this adapter composes the unmodified
 * OpenAICompatibleAdapter (which uses the provider kit) and only changes what differs on Azure:
 *
 * - URLs. Deployment mode (default): {endpoint}/openai/deployments/{deployment}/chat/completions
 *   ?api-version={apiVersion} (and /embeddings). One inner adapter per deployment, whose base URL is
 *   the deployment's path; the api-version query is appended by a thin wrapper around the shared
 *   pooled UpstreamClient (same undici Agent, no new connections pool). v1 mode (`useV1Api`):
 *   {endpoint}/openai/v1/chat/completions with `model` = deployment name, no api-version.
 * - Auth: the `api-key` header instead of `Authorization: Bearer`.
 * - Model names: `deployments` maps the model name clients ask for to the deployment name.
 * - Errors: Azure's codes are normalised to OpenAI's (errors.ts).
 * - Streams: filter-annotation-only events are dropped (stream.ts).
 */
import { dropRaw } from '../../../core/chunks.js';
import { maskSecret } from '../../../core/mask.js';
import { ModelList } from '../../../core/provider-kit/index.js';
import type {
  BinaryAnswer,
  MultipartBody,
  NativeResponsesAnswer,
  ProviderAdapter,
  TextAnswer,
  UpstreamCall,
} from '../../../core/provider.js';
import type * as T from '../../../core/types.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from '../../../core/upstream.js';
import type { ForwardRequest } from '../../../core/forward.js';
import { azureForward } from './forward.js';
import { OpenAICompatibleAdapter } from '../openai-compatible/index.js';
import { azureError } from './errors.js';
import { azureChunks } from './stream.js';

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

/** The shared pooled client, with a query string appended to every URL. */
function withQuery(http: UpstreamClient, query: string): UpstreamClient {
  if (!query) return http;
  type View = Pick<UpstreamClient, 'agent' | 'timeoutMs' | 'maxResponseBytes' | 'close'> &
    Pick<UpstreamClient, 'send' | 'sendBuffered' | 'sendStream'>;
  const at = (req: UpstreamRequest) => ({ ...req, url: req.url + query });
  const wrapped: View = {
    agent: http.agent,
    timeoutMs: http.timeoutMs,
    maxResponseBytes: http.maxResponseBytes,
    send: (provider: string, req: UpstreamRequest) => http.send(provider, at(req)),
    sendBuffered: (provider: string, req: UpstreamRequest) => http.sendBuffered(provider, at(req)),
    sendStream: (provider: string, req: UpstreamRequest) => http.sendStream(provider, at(req)),
    // The pool belongs to the gateway; closing a view of it must not close it.
    close: () => Promise.resolve(),
  };
  return wrapped as UpstreamClient;
}

export class AzureOpenAIAdapter implements ProviderAdapter {
  readonly name: string;
  readonly #s: AzureOpenAISettings;
  readonly #http: UpstreamClient;
  /** The pool itself (forward() adds api-version where the path needs it). */
  readonly #raw: UpstreamClient;
  readonly #inner = new Map<string, OpenAICompatibleAdapter>();
  readonly #list: ModelList;

  constructor(settings: AzureOpenAISettings, http: UpstreamClient) {
    this.name = settings.name;
    this.#s = settings;
    this.#raw = http;
    this.#http = withQuery(http, settings.useV1Api ? '' : `?api-version=${encodeURIComponent(settings.apiVersion)}`);
    this.#list = new ModelList(Object.keys(settings.deployments), settings.claims);
  }

  models(): T.ModelInfo[] {
    return this.#list.models;
  }

  claims(model: string): boolean {
    return model in this.#s.deployments || this.#list.claims(model);
  }

  describe(): Record<string, string> {
    return {
      endpoint: this.#s.endpoint,
      api: this.#s.useV1Api ? 'v1' : `deployments (api-version ${this.#s.apiVersion})`,
      deployments:
        Object.entries(this.#s.deployments)
          .map(([m, d]) => (m === d ? m : `${m}->${d}`))
          .join(', ') || '(model name = deployment name)',
      apiKey: maskSecret(this.#s.apiKey),
    };
  }

  /** Passthrough to any endpoint below {endpoint}/openai (./forward.ts). */
  forward(req: ForwardRequest): Promise<UpstreamResponse> {
    return azureForward(this.#raw, this.#s, req);
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
      a = new OpenAICompatibleAdapter(
        {
          name: this.name,
          baseURL: base,
          headers: { 'api-key': this.#s.apiKey, ...this.#s.headers },
          models: [],
          streamUsage: true,
          timeoutMs: this.#s.timeoutMs,
        },
        this.#http,
      );
      this.#inner.set(key, a);
    }
    return a;
  }

  async chat(request: T.ChatCompletionRequest, call: UpstreamCall): Promise<T.ChatCompletionResponse> {
    const deployment = this.deploymentFor(request.model);
    try {
      // Azure answers are adjusted here, so the upstream's raw JSON text no longer describes them.
      const res = dropRaw(await this.#adapter(deployment).chat({ ...request, model: deployment }, call));
      if (!res.model) res.model = request.model;
      return res;
    } catch (e) {
      throw azureError(e);
    }
  }

  async chatStream(
    request: T.ChatCompletionRequest,
    call: UpstreamCall,
  ): Promise<AsyncIterable<T.ChatCompletionChunk>> {
    const deployment = this.deploymentFor(request.model);
    let inner: AsyncIterable<T.ChatCompletionChunk>;
    try {
      inner = await this.#adapter(deployment).chatStream({ ...request, model: deployment }, call);
    } catch (e) {
      throw azureError(e);
    }
    return azureChunks(this.name, inner, request.model);
  }

  async embeddings(request: T.EmbeddingsRequest, call: UpstreamCall): Promise<T.EmbeddingsResponse> {
    const deployment = this.deploymentFor(request.model);
    try {
      const res = await this.#adapter(deployment).embeddings({ ...request, model: deployment }, call);
      if (!res.model) res.model = request.model;
      return res;
    } catch (e) {
      throw azureError(e);
    }
  }

  /**
   * Legacy completions, image generations, edits and variations, speech and transcriptions/translations: the
   * same paths under the deployment (or v1) base URL, with the deployment as `model` (Azure has no moderations
   * endpoint).
   */
  async completions(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeResponsesAnswer> {
    const deployment = this.deploymentFor(String(body.model));
    return this.#mapped(() => this.#adapter(deployment).completions({ ...body, model: deployment }, call));
  }

  async imageGenerations(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>> {
    const deployment = this.deploymentFor(String(body.model));
    return this.#mapped(() => this.#adapter(deployment).imageGenerations({ ...body, model: deployment }, call));
  }

  async imageUpload(
    kind: 'edits' | 'variations',
    form: (model: string) => MultipartBody,
    call: UpstreamCall,
  ): Promise<Record<string, unknown>> {
    const deployment = this.deploymentFor(call.target.model);
    return this.#mapped(() => this.#adapter(deployment).imageUpload(kind, () => form(deployment), call));
  }

  async speech(body: Record<string, unknown>, call: UpstreamCall): Promise<BinaryAnswer> {
    const deployment = this.deploymentFor(String(body.model));
    return this.#mapped(() => this.#adapter(deployment).speech({ ...body, model: deployment }, call));
  }

  async audio(
    kind: 'transcriptions' | 'translations',
    form: (model: string) => MultipartBody,
    call: UpstreamCall,
  ): Promise<TextAnswer> {
    const deployment = this.deploymentFor(call.target.model);
    return this.#mapped(() => this.#adapter(deployment).audio(kind, () => form(deployment), call));
  }

  async #mapped<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (e) {
      throw azureError(e);
    }
  }
}
