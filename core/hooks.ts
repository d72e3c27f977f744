/**
 * Every hook of the pipeline, declared once. Hooks are created and tapped at boot and never per
 * request; the object is frozen. The contract of each hook is documented in docs/plugins.md.
 */
import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type { ChatContext, Principal, RequestContext, Target } from './context.js';
import type { GatewayError } from './errors.js';
import type { ChatCompletionChunk, ChatCompletionResponse } from './types.js';
import type { UsageRecord } from './usage.js';

/** What a cache lookup returns on a hit. */
export interface CachedAnswer {
  response: ChatCompletionResponse;
  /** 'hit' for an exact hit, 'semantic-hit' for a similarity match. */
  kind: 'hit' | 'semantic-hit';
  /** Extra response headers (e.g. the similarity of a semantic hit). */
  headers?: Record<string, string>;
}

/** What the failover hook is told about a failed attempt. */
export interface FailoverInfo {
  ctx: RequestContext;
  error: GatewayError;
  target: Target;
  /** Index of `target` in ctx.targets. */
  targetIndex: number;
  /** How many attempts this target has had so far (1 after the first failure). */
  targetAttempts: number;
  /** Whether a further target exists after this one. */
  hasNext: boolean;
  /** Milliseconds left before the request's overall deadline (Infinity without one). */
  remainingMs: number;
}

/**
 * retry: the same target again; next: the following target; switch: insert `target` right after the
 * current one and go there (e.g. a larger-context model); fail: give up with this error.
 */
export type FailoverDecision =
  | { action: 'retry'; delayMs?: number }
  | { action: 'next'; delayMs?: number }
  | { action: 'switch'; target: Target; delayMs?: number }
  | { action: 'fail' };

/** Told after every attempt ends: success, failure, or cancellation (a hedge that lost). */
export interface AttemptEnd {
  ctx: RequestContext;
  target: Target;
  ok: boolean;
  error?: GatewayError;
  /** Cancelled by the gateway (a losing hedge): neither a success nor a failure of the target. */
  cancelled?: boolean;
  /** Until the answer (non-streams) or the first chunk (streams). */
  latencyMs: number;
  stream: boolean;
}

/** One model as listed by GET /v1/models; plugins may add fields. */
export interface ModelListing {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  [k: string]: unknown;
}

export function createHooks() {
  return Object.freeze({
    /** Who is calling. Bail: the first tap returning a Principal wins. */
    auth: new AsyncSeriesBailHook<[RequestContext], Principal | null | undefined>(['ctx']),
    /** Which targets, in order. Waterfall over the target list. */
    route: new AsyncSeriesWaterfallHook<[Target[], RequestContext]>(['targets', 'ctx']),
    /** Admission after routing: rate limits, budgets, policy. Throw a GatewayError to refuse. */
    admit: new AsyncSeriesHook<[RequestContext]>(['ctx']),
    /** Rewrite the canonical chat request before it is sent (once per request, not per attempt). */
    transformRequest: new AsyncSeriesWaterfallHook<[ChatContext['request'], ChatContext]>(['request', 'ctx']),
    /** Rewrite a complete (non-streamed) chat response before it reaches the client. */
    transformResponse: new AsyncSeriesWaterfallHook<[ChatCompletionResponse, ChatContext]>(['response', 'ctx']),
    /** Rewrite one stream chunk; return null to drop it. Synchronous: it runs for every chunk. */
    transformChunk: new SyncWaterfallHook<[ChatCompletionChunk | null, ChatContext]>(['chunk', 'ctx']),
    /** Look the request up before any upstream call. Bail: a CachedAnswer ends the request. */
    cacheLookup: new AsyncSeriesBailHook<[ChatContext], CachedAnswer | null | undefined>(['ctx']),
    /** Store a complete answer (after the client got it; never awaited by the request). */
    cacheStore: new AsyncParallelHook<[ChatContext, ChatCompletionResponse]>(['ctx', 'response']),
    /** Decide what to do after a failed attempt. Bail: the first decision wins; none means fail. */
    failover: new AsyncSeriesBailHook<[FailoverInfo], FailoverDecision | null | undefined>(['info']),
    /** After each attempt (sync, on the hot path: keep taps cheap, do I/O in the background). */
    attemptEnd: new SyncHook<[AttemptEnd]>(['info']),
    /** Decorate a GET /v1/models entry (e.g. catalog prices and limits). */
    modelListing: new SyncWaterfallHook<[ModelListing, { provider?: string; model: string }]>(['entry', 'ref']),
    /** One record per request after it ended, aborted or not. Never awaited by the request. */
    meter: new AsyncParallelHook<[UsageRecord, RequestContext]>(['record', 'ctx']),
    /** After every plugin applied, before the server listens. */
    ready: new AsyncSeriesHook<[]>([]),
    /** On shutdown, after in-flight requests finished: flush and release resources. */
    close: new AsyncSeriesHook<[]>([]),
  });
}

export type Hooks = ReturnType<typeof createHooks>;
