/**
 * The one object every hook receives for a request. Plugins add what they need under `state`
 * (namespaced by plugin name) instead of adding positional arguments to hooks.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { ChatCompletionRequest, EmbeddingsRequest, Usage } from './types.js';

export type Operation = 'chat' | 'embeddings' | 'models';

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
}

export interface ChatContext extends BaseContext {
  readonly operation: 'chat';
  /** The canonical request; `transform.request` taps may replace it. */
  request: ChatCompletionRequest;
  readonly stream: boolean;
}

export interface EmbeddingsContext extends BaseContext {
  readonly operation: 'embeddings';
  request: EmbeddingsRequest;
  readonly stream: false;
}

/** GET /v1/models runs only the auth hook. */
export interface ModelsContext extends BaseContext {
  readonly operation: 'models';
  request: { model?: undefined };
  readonly stream: false;
}

export type RequestContext = ChatContext | EmbeddingsContext | ModelsContext;
