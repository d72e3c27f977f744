/**
 * The provider adapter contract and the registry of enabled providers. A provider plugin registers
 * one adapter; the core calls it for each attempt with the canonical (OpenAI-shaped) request.
 */
import { type AbortSource, RequestAbort } from './abort.js';
import type { RequestContext, Target } from './context.js';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModelInfo,
  RerankRequest,
  RerankResponse,
} from './types.js';
import type { SseEvent } from './sse.js';
import type { ForwardRequest } from './forward.js';
import type { UpstreamResponse } from './upstream.js';

export interface UpstreamCall {
  target: Target;
  /** Aborted when the client disconnects or the gateway gives up on the attempt. */
  signal: AbortSignal;
  ctx: RequestContext;
}

/**
 * The UpstreamCall of an attempt. With the request's own abort source (core/abort.ts), `signal` is a
 * getter: the AbortSignal is made only when an adapter reads it (so read `call.signal`; a spread copy
 * of the call has no `signal`). The core's HTTP helpers take the source itself (`callAbort`), so a
 * request served by them never makes one. A class: an object literal with a getter is a
 * dictionary-mode object in V8.
 */
class AttemptCall implements UpstreamCall {
  constructor(
    readonly target: Target,
    readonly ctx: RequestContext,
    readonly source: RequestAbort,
  ) {}

  get signal(): AbortSignal {
    return this.source.signal;
  }
}

/** The UpstreamCall of an attempt on `target` under `source`. */
export function upstreamCall(target: Target, ctx: RequestContext, source: AbortSource): UpstreamCall {
  return source instanceof RequestAbort ? new AttemptCall(target, ctx, source) : { target, signal: source, ctx };
}

/** The cheapest abort source of a call: the request's own when the call came from the attempt loop. */
export function callAbort(call: Pick<UpstreamCall, 'signal'>): AbortSource {
  return call instanceof AttemptCall ? call.source : call.signal;
}

export interface ProviderAdapter {
  readonly name: string;
  /**
   * Models advertised by GET /v1/models and used to resolve bare model names. A list that changes (see
   * modelsReady) is a new array each time it changes, never the old one edited: the router keeps what it
   * resolved from a list while it is the same array.
   */
  models(): ModelInfo[];
  /**
   * Optional: resolves once models() is current, for lists that come from the upstream (discovery).
   * GET /v1/models awaits it; it must resolve (never reject) within a few seconds.
   */
  modelsReady?(): Promise<void>;
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
  /**
   * Optional moderation endpoint in OpenAI's format (POST {base}/moderations: `{ model, input }` ->
   * `{ results: [{ flagged, categories, category_scores }] }`), used by the guardrails' moderation check.
   */
  moderations?(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>>;
  /**
   * Optional legacy text completions in OpenAI's format (POST {base}/completions), used natively by
   * /v1/completions (other adapters get the prompt translated to chat where that is faithful). `body`
   * is the client's body with the target's model; resolves with the JSON answer or, for `stream: true`,
   * once the upstream accepted the request, with its SSE events ([DONE] included).
   */
  completions?(body: Record<string, unknown>, call: UpstreamCall): Promise<NativeResponsesAnswer>;
  /**
   * Optional rerank: the canonical request (Cohere v2; `return_documents` is the gateway's, not sent) with the
   * target's model, translated to the provider's rerank API; resolves with the canonical answer, its billed
   * units in `meta.billed_units` (search units, or input tokens for token-priced rerankers).
   */
  rerank?(request: RerankRequest, call: UpstreamCall): Promise<RerankResponse>;
  /** Optional POST {base}/images/generations (OpenAI's JSON format): the JSON answer. */
  imageGenerations?(body: Record<string, unknown>, call: UpstreamCall): Promise<Record<string, unknown>>;
  /**
   * Optional POST {base}/images/edits or /images/variations (OpenAI's multipart format): `form(model)` gives
   * the body with that `model` field (call it once per send: the gateway streams the client's upload
   * through). Resolves with the JSON answer (`{ created, data: [...] }`).
   */
  imageUpload?(
    kind: 'edits' | 'variations',
    form: (model: string) => MultipartBody,
    call: UpstreamCall,
  ): Promise<Record<string, unknown>>;
  /** Optional POST {base}/audio/speech (OpenAI's format): resolves once the upstream accepted, with the audio bytes. */
  speech?(body: Record<string, unknown>, call: UpstreamCall): Promise<BinaryAnswer>;
  /**
   * Optional POST {base}/audio/transcriptions or /audio/translations. `form(model)` gives the multipart body
   * to send with that `model` field (the adapter's name for the target's model); call it once per send:
   * its bytes can be read once (the gateway streams the client's upload through). Resolves with the answer.
   */
  audio?(
    kind: 'transcriptions' | 'translations',
    form: (model: string) => MultipartBody,
    call: UpstreamCall,
  ): Promise<TextAnswer>;
  /**
   * Optional: send a request to any of the provider's own endpoints (passthrough, files, batches):
   * the URL is the configured base URL + `req.path` (core/forward.ts checks it), the provider's
   * credentials are added. Resolves with the upstream's answer, whatever its status.
   */
  forward?(req: ForwardRequest): Promise<UpstreamResponse>;
  /** Settings to show in `switchyard check` (secrets masked). */
  describe?(): Record<string, string>;
  /** Release pooled connections. */
  close?(): Promise<void>;
}

/** A binary answer streamed from the upstream (e.g. speech audio); `close()` releases it when not read to the end. */
export interface BinaryAnswer {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
  close(): void;
}

/** A multipart/form-data body: its content type (with the boundary) and its bytes, produced once. */
export interface MultipartBody {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** A small answer relayed as is (JSON or plain text, per its content type). */
export interface TextAnswer {
  contentType: string;
  text: string;
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
  /** list()'s answer, made once per registration (the router reads it on every request). */
  #list: readonly ProviderAdapter[] = Object.freeze([]);

  register(adapter: ProviderAdapter): void {
    if (this.#adapters.has(adapter.name)) {
      throw new Error(`Provider "${adapter.name}" is registered twice. Give the second one another name.`);
    }
    this.#adapters.set(adapter.name, adapter);
    this.#list = Object.freeze([...this.#adapters.values()]);
  }

  get(name: string): ProviderAdapter | undefined {
    return this.#adapters.get(name);
  }

  has(name: string): boolean {
    return this.#adapters.has(name);
  }

  /** The registered adapters in registration order (one shared, frozen array: do not change it). */
  list(): readonly ProviderAdapter[] {
    return this.#list;
  }
}

/**
 * A per-request view of the providers whose adapters are wrapped (an interceptor around attempts): the
 * ingresses with native routes use it (Responses, legacy completions, Anthropic Messages passthrough) to
 * send a request in the upstream's own dialect when the target can take it. The pipeline sees the view as
 * the registry; each adapter is wrapped once per view; registration goes to the underlying registry.
 */
export class AdapterView extends ProviderRegistry {
  readonly #inner: ProviderRegistry;
  readonly #wrap: (adapter: ProviderAdapter) => ProviderAdapter;
  readonly #wrapped = new WeakMap<ProviderAdapter, ProviderAdapter>();

  constructor(inner: ProviderRegistry, wrap: (adapter: ProviderAdapter) => ProviderAdapter) {
    super();
    this.#inner = inner;
    this.#wrap = wrap;
  }

  override register(adapter: ProviderAdapter): void {
    this.#inner.register(adapter);
  }

  override get(name: string): ProviderAdapter | undefined {
    const adapter = this.#inner.get(name);
    if (!adapter) return undefined;
    let w = this.#wrapped.get(adapter);
    if (!w) this.#wrapped.set(adapter, (w = this.#wrap(adapter)));
    return w;
  }

  override has(name: string): boolean {
    return this.#inner.has(name);
  }

  override list(): readonly ProviderAdapter[] {
    return this.#inner.list();
  }
}
