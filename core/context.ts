/**
 * The one object every hook receives for a request. Plugins add what they need under `state`
 * (namespaced by plugin name) instead of adding positional arguments to hooks.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { ChatCompletionRequest, EmbeddingsRequest, Usage } from './types.js';
import type { MediaUsage } from './usage.js';

export type Operation = 'chat' | 'count_tokens' | 'embeddings' | 'models' | MediaOperation | ForwardOperation;

/**
 * Operations priced per unit rather than per token alone (core/media.ts): OpenAI's POST /v1/moderations,
 * /v1/images/generations, /v1/images/edits, /v1/images/variations, /v1/audio/speech,
 * /v1/audio/transcriptions and /v1/audio/translations, and POST /v1/rerank (Cohere's v2 format).
 */
export type MediaOperation =
  | 'moderations'
  | 'images'
  | 'image_edits'
  | 'image_variations'
  | 'speech'
  | 'transcriptions'
  | 'translations'
  | 'rerank';

/** Endpoints relayed to a provider's own API (core/forward.ts): passthrough, files, batches. */
export type ForwardOperation = 'passthrough' | 'files' | 'batches';

/** Who is calling. Returned by an `auth` tap. Never holds the key itself. */
export interface Principal {
  /** Stable id of the key or user (safe to log). */
  id: string;
  project?: string;
  name?: string;
  [k: string]: unknown;
}

/** One place a request can be sent: a registered provider and the provider's own model id. */
export interface Target {
  provider: string;
  model: string;
  /** Request fields merged over the client's for this target (e.g. a lower temperature). */
  params?: Record<string, unknown>;
  /** Policy tags (region, zero-data-retention, ...) a key or project may require. */
  tags?: string[];
  /** Per-attempt timeout for this target (ms), over the request's policy. */
  timeoutMs?: number;
}

/** Timing rules for the attempt loop, set by routing/failover plugins (all optional). */
export interface AttemptPolicy {
  /** Longest one attempt may take (non-streams: the whole answer; streams: until the first chunk). */
  attemptTimeoutMs?: number;
  /** Streams: longest wait for the first chunk before failing over (overrides attemptTimeoutMs). */
  firstChunkTimeoutMs?: number;
  /** Overall budget for all attempts and backoffs, from the request's start (ms). */
  deadlineMs?: number;
  /** Hedging: start the next target when an attempt has not answered within this delay (ms). */
  hedgeDelayMs?: number;
}

export interface AttemptRecord {
  provider: string;
  model: string;
  /** HTTP status of the attempt (200 on success). */
  status: number;
  code?: string | null;
  latencyMs: number;
  /** Started as a hedge while an earlier attempt was still running. */
  hedge?: boolean;
  /** Cancelled because a concurrent (hedged) attempt answered first. */
  cancelled?: boolean;
}

export type CacheStatus = 'hit' | 'semantic-hit' | 'miss' | 'bypass' | 'refresh';

/** What the answer said about itself (no content): set by the pipeline as the answer arrives. */
export interface AnswerInfo {
  /** The upstream's completion id. */
  id?: string;
  /** The model the upstream says answered (may be more specific than the one asked for). */
  model?: string;
  /** finish_reason of each choice, by choice index (streams: once the choice finished). */
  finishReasons: string[];
}

interface BaseContext {
  readonly id: string;
  readonly operation: Operation;
  /** The ingress dialect the client speaks ('openai' for /v1/chat/completions). */
  readonly dialect: string;
  readonly headers: IncomingHttpHeaders;
  /** Wall-clock start (ms since epoch) and monotonic start (performance.now()). */
  readonly time: number;
  readonly startedAt: number;
  /** Aborted when the client goes away; pass it to anything slow. */
  readonly signal: AbortSignal;
  /** Child logger carrying the request id. Never log message content with it. */
  readonly log: Logger;
  /** The model name exactly as the client sent it. */
  readonly requestedModel: string;
  principal?: Principal;
  /** Ordered targets chosen by the `route` hook. */
  targets: Target[];
  /** The target of the attempt in progress (or the one that answered). */
  target?: Target;
  attempts: AttemptRecord[];
  /** Extra response headers plugins want sent (lower-case names). */
  responseHeaders: Record<string, string>;
  cache?: CacheStatus;
  usage?: Usage;
  /**
   * True when `usage` is the gateway's estimate: a stream that ended (client gone, upstream cut,
   * or an upstream that reports no usage) without the upstream's usage chunk.
   */
  usageEstimated?: boolean;
  /** Id, model and finish reasons of the answer (chat only; no content). */
  answer?: AnswerInfo;
  /**
   * The end user within the principal (e.g. the OpenAI `user` field), once a plugin (governance)
   * validated it. Safe to log and store: plugins set only validated ids or their hashes.
   */
  endUser?: string;
  /** Milliseconds from start to the first byte of the answer (streams). */
  ttftMs?: number;
  /** Scratch space for plugins, keyed by plugin name. */
  state: Record<string, unknown>;
  /** Timeouts, deadline and hedging for the attempt loop (set by routing/failover plugins). */
  policy?: AttemptPolicy;
  /** Targets to mirror this request to (answers discarded, metered with shadow: true). */
  shadow?: Target[];
  /** True for the context of a shadow (mirrored) request. */
  readonly isShadow?: boolean;
  /**
   * The most this request may cost (USD), when the ingress cannot estimate it from tokens (passthrough,
   * batches): budgets hold this instead of a token estimate.
   */
  costEstimateUsd?: number;
  /** The request's cost (USD) when the ingress prices it itself: copied to the meter record, not re-priced. */
  costUsd?: number;
  /** Usage priced at batch prices (the catalog's, else 50% of list). */
  batch?: boolean;
}

export interface ChatContext extends BaseContext {
  /** 'count_tokens': POST /v1/messages/count_tokens (auth, route, admit and meter; no model call). */
  readonly operation: 'chat' | 'count_tokens';
  /** The canonical request; `transform.request` taps may replace it. */
  request: ChatCompletionRequest;
  readonly stream: boolean;
}

export interface EmbeddingsContext extends BaseContext {
  readonly operation: 'embeddings';
  request: EmbeddingsRequest;
  readonly stream: false;
}

/**
 * A media operation. `request` holds the client's JSON fields (multipart uploads: the form's text fields,
 * never the file); `mediaEstimate` is what admission holds budget for, `media` what was measured.
 */
export interface MediaContext extends BaseContext {
  readonly operation: MediaOperation;
  request: { model: string; [field: string]: unknown };
  readonly stream: false;
  /** Units the request may use at most (the budget hold), set by the ingress before admission. */
  mediaEstimate?: MediaUsage;
  /** Units used, once known (priced by the catalog into the meter record). */
  media?: MediaUsage;
}

/** GET /v1/models runs only the auth hook. */
export interface ModelsContext extends BaseContext {
  readonly operation: 'models';
  request: { model?: undefined };
  readonly stream: false;
}

/** Endpoints relayed to a provider's own API (passthrough, files, batches): auth, route, admit, meter. */
export interface ForwardContext extends BaseContext {
  readonly operation: ForwardOperation;
  /** The `model` of a JSON body, when there is one. */
  request: { model?: string };
  readonly stream: boolean;
}

export type RequestContext = ChatContext | EmbeddingsContext | ModelsContext | MediaContext | ForwardContext;
