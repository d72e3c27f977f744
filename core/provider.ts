/**
 * The provider adapter contract and the registry of enabled providers. A provider plugin registers
 * one adapter; the core calls it for each attempt with the canonical (OpenAI-shaped) request.
 */
import type { RequestContext, Target } from './context.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
} from './types.js';
import type { SseEvent } from './sse.js';

export interface UpstreamCall {
  target: Target;
  /** Aborted when the client disconnects or the gateway gives up on the attempt. */
  signal: AbortSignal;
  ctx: RequestContext;
}

export interface ProviderAdapter {
  readonly name: string;
  /** Models advertised by GET /v1/models and used to resolve bare model names. */
  models(): ModelInfo[];
  /** Whether a bare model name not in models() belongs to this provider (e.g. /^gpt-/). */
  claims?(model: string): boolean;
  /** A complete chat completion. Throw GatewayError for failures (set `retryable`). */
  chat(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResponse>;
  /**
   * A streamed chat completion. Resolve once the upstream accepted the request (throw before that
   * for errors that have a status); the iterable then yields canonical chunks. When the upstream
   * reports usage, the last chunk carries it (`choices: []`, `usage`). A stream that ends without
   * its normal terminator, or carries an error event, must throw a GatewayError.
   */
  chatStream(request: ChatCompletionRequest, call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>>;
  embeddings?(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResponse>;
  /** Optional native passthrough for ingresses that speak this provider's own API (see NativeCapabilities). */
  native?: NativeCapabilities;
  /**
   * Optional native OpenAI Responses API (POST {base}/responses), used by the /v1/responses ingress
   * instead of translating to chat. `body` is the client's Responses body (model set to the target's,
   * `stream` as asked). Throw GatewayError for error statuses; resolve with the JSON answer, or (for
   * streams) once the upstream accepted the request, with its raw typed SSE events.
   */
  responses?(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeResponsesAnswer>;
  /** Settings to show in `switchyard check` (secrets masked). */
  describe?(): Record<string, string>;
  /** Release pooled connections. */
  close?(): Promise<void>;
}

/** What a native `responses` call returns: the Responses object, or the upstream's SSE events. */
export type NativeResponsesAnswer =
  | { kind: 'json'; body: Record<string, unknown> }
  | { kind: 'stream'; events: AsyncIterable<SseEvent> };

/**
 * Native passthrough. When a client speaks the provider's own API (today: the Anthropic Messages
 * ingress in front of the `anthropic` provider), the ingress may send the client's body upstream
 * as-is (only `model` replaced by the target's model) and relay the upstream's answer, instead of a
 * lossy round trip through the canonical format. The adapter still returns the canonical translation
 * next to the raw answer, so the pipeline meters usage, stores cache entries and fails over (before
 * the first chunk) exactly as for canonical calls. Errors are thrown as GatewayErrors, as in chat().
 */
export interface NativeCapabilities {
  /**
   * POST an Anthropic Messages body. `body.stream === true`: resolves once the upstream accepted the
   * request, with the events as `{ raw, chunk }` pairs (`raw` is the SSE text of the upstream events
   * consumed to produce `chunk`, possibly ''); otherwise the parsed Message and its translation.
   */
  anthropicMessages?(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeAnswer>;
  /** POST an Anthropic count_tokens body; resolves with the upstream's JSON answer. */
  anthropicCountTokens?(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>>;
}

export type NativeAnswer =
  | { kind: 'json'; raw: unknown; response: ChatCompletionResponse }
  | { kind: 'stream'; events: AsyncIterable<{ raw: string; chunk: ChatCompletionChunk }> };

export class ProviderRegistry {
  readonly #adapters = new Map<string, ProviderAdapter>();

  register(adapter: ProviderAdapter): void {
    if (this.#adapters.has(adapter.name)) {
      throw new Error(`Provider "${adapter.name}" is registered twice. Give the second one another name.`);
    }
    this.#adapters.set(adapter.name, adapter);
  }

  get(name: string): ProviderAdapter | undefined {
    return this.#adapters.get(name);
  }

  has(name: string): boolean {
    return this.#adapters.has(name);
  }

  list(): ProviderAdapter[] {
    return [...this.#adapters.values()];
  }
}
