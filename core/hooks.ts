/**
 * Every hook of the pipeline, declared once. Hooks are created and tapped at boot and never per
 * request; the object is frozen. The contract of each hook is documented in docs/plugins.md.
 */
import { tapable } from './cjs-packages.js';
import type { ChatContext, ModelsContext, Principal, RequestContext, Target } from './context.js';
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
  /** The target whose answer this is (default: the first target). */
  target?: Target;
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

/**
 * Why an attempt runs: the request's first, a retry of the same target, failover to the next target,
 * a switch to an inserted target (e.g. a larger context), or a hedge started next to a slow attempt.
 */
export type AttemptReason = 'initial' | 'retry' | 'next' | 'switch' | 'hedge';

/** Told when an attempt starts (before its upstream call). */
export interface AttemptStart {
  ctx: RequestContext;
  target: Target;
  reason: AttemptReason;
  /** The failed attempt that led to this one (retry, next, switch): its error code, else its status. */
  after?: string;
  /** The signal this attempt's upstream calls carry (UpstreamRequest.signal). */
  signal: AbortSignal;
  /** Process-wide attempt number: the matching AttemptEnd has the same. */
  seq: number;
}

/** Told after every attempt ends: success, failure, or cancellation (a hedge that lost). */
export interface AttemptEnd {
  ctx: RequestContext;
  /** The AttemptStart.seq of this attempt. */
  seq?: number;
  target: Target;
  ok: boolean;
  error?: GatewayError;
  /** Cancelled by the gateway (a losing hedge): neither a success nor a failure of the target. */
  cancelled?: boolean;
  /** Until the answer (non-streams) or the first chunk (streams). */
  latencyMs: number;
  stream: boolean;
}

/**
 * An audit event (metadata only, never content or keys): e.g. `key.created`, `key.revoked`,
 * `budget.threshold`, `budget.exhausted`, `spend.spike`, `guardrail.verdict`.
 */
export interface AuditEvent {
  type: string;
  /** Epoch ms. */
  time: number;
  [k: string]: unknown;
}

/** One model as listed by GET /v1/models; plugins may add fields. */
export interface ModelListing {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  [k: string]: unknown;
}

/** A model as GET /v1/models names it: "provider/model" (provider set), or an alias / virtual model. */
export interface ModelRef {
  id: string;
  provider?: string;
  model: string;
}

export function createHooks() {
  return Object.freeze({
    /** Who is calling. Bail: the first tap returning a Principal wins. */
    auth: new tapable.AsyncSeriesBailHook<[RequestContext], Principal | null | undefined>(['ctx']),
    /** Which targets, in order. Waterfall over the target list. */
    route: new tapable.AsyncSeriesWaterfallHook<[Target[], RequestContext]>(['targets', 'ctx']),
    /** Admission after routing: rate limits, budgets, policy. Throw a GatewayError to refuse. */
    admit: new tapable.AsyncSeriesHook<[RequestContext]>(['ctx']),
    /** Rewrite the canonical chat request before it is sent (once per request, not per attempt). */
    transformRequest: new tapable.AsyncSeriesWaterfallHook<[ChatContext['request'], ChatContext]>(['request', 'ctx']),
    /** Rewrite a complete (non-streamed) chat response before it reaches the client. */
    transformResponse: new tapable.AsyncSeriesWaterfallHook<[ChatCompletionResponse, ChatContext]>(['response', 'ctx']),
    /** Rewrite one stream chunk; return null to drop it. Synchronous: it runs for every chunk. */
    transformChunk: new tapable.SyncWaterfallHook<[ChatCompletionChunk | null, ChatContext]>(['chunk', 'ctx']),
    /**
     * Wrap a streamed answer's whole chunk stream (cache replays too), once per stream, after
     * transformChunk: for async work per chunk, look-ahead or hold-back. Return the iterable to deliver.
     */
    transformStream: new tapable.SyncWaterfallHook<[AsyncIterable<ChatCompletionChunk>, ChatContext]>([
      'chunks',
      'ctx',
    ]),
    /** Look the request up before any upstream call. Bail: a CachedAnswer ends the request. */
    cacheLookup: new tapable.AsyncSeriesBailHook<[ChatContext], CachedAnswer | null | undefined>(['ctx']),
    /** Store a complete answer (after the client got it; never awaited by the request). */
    cacheStore: new tapable.AsyncParallelHook<[ChatContext, ChatCompletionResponse]>(['ctx', 'response']),
    /** Decide what to do after a failed attempt. Bail: the first decision wins; none means fail. */
    failover: new tapable.AsyncSeriesBailHook<[FailoverInfo], FailoverDecision | null | undefined>(['info']),
    /** Before each attempt's upstream call (sync, on the hot path: keep taps cheap). */
    attemptStart: new tapable.SyncHook<[AttemptStart]>(['info']),
    /** After each attempt (sync, on the hot path: keep taps cheap, do I/O in the background). */
    attemptEnd: new tapable.SyncHook<[AttemptEnd]>(['info']),
    /** Decorate a GET /v1/models entry (e.g. catalog prices and limits). */
    modelListing: new tapable.SyncWaterfallHook<[ModelListing, { provider?: string; model: string }]>(['entry', 'ref']),
    /**
     * Whether the caller of GET /v1/models and /v1/models/{id} may see a model (after auth). Bail: a tap
     * returning false hides it (e.g. governance's allow-lists); undefined leaves it visible.
     */
    modelAccess: new tapable.SyncBailHook<[ModelRef, ModelsContext], boolean | undefined>(['ref', 'ctx']),
    /** One record per request after it ended, aborted or not. Never awaited by the request. */
    meter: new tapable.AsyncParallelHook<[UsageRecord, RequestContext]>(['record', 'ctx']),
    /** Audit events from plugins (keys, budget alerts, guardrail verdicts); sync: taps queue, never block. */
    audit: new tapable.SyncHook<[AuditEvent]>(['event']),
    /** After every plugin applied, before the server listens. */
    ready: new tapable.AsyncSeriesHook<[]>([]),
    /** On shutdown, after in-flight requests finished: flush and release resources. */
    close: new tapable.AsyncSeriesHook<[]>([]),
  });
}

export type Hooks = ReturnType<typeof createHooks>;

/** A tap as tapable keeps it (hook.taps, in the order it runs them). */
interface AnyTap {
  type: 'sync' | 'async' | 'promise';
  name: string;
  fn: (...args: unknown[]) => unknown;
}

/** What tapable's promise() wraps a hook call in, per call: interceptors need it; without any, these do not. */
type Runnable<A extends unknown[], R> = {
  taps: unknown[];
  interceptors: unknown[];
  promise(...args: A): Promise<R>;
};

/** A non-sync tap's result: the promise a `tapPromise` returns (checked as tapable does), or a callback's. */
function asyncResult(tap: AnyTap, two: boolean, a: unknown, b?: unknown): Promise<unknown> {
  if (tap.type === 'promise') {
    const p = two ? tap.fn(a, b) : tap.fn(a);
    if (!p || typeof (p as PromiseLike<unknown>).then !== 'function') {
      throw new Error(`Tap function (tapPromise) did not return promise (returned ${String(p)})`);
    }
    return p as Promise<unknown>;
  }
  return new Promise((resolve, reject) => {
    const done = (err?: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
    if (two) tap.fn(a, b, done);
    else tap.fn(a, done);
  });
}

/**
 * `hook.promise(value, ctx)` of an AsyncSeriesWaterfallHook, the taps called here: tapable's promise() builds
 * a Promise, closures and a `then` per tap on every call (the route hook runs on every request). Same order
 * and results: a tap's value replaces the running one unless undefined. With interceptors, tapable runs it.
 */
export async function runWaterfall<T, C>(hook: Runnable<[T, C], T>, value: T, ctx: C): Promise<T> {
  if (hook.interceptors.length) return hook.promise(value, ctx);
  const taps = hook.taps as AnyTap[];
  for (let i = 0; i < taps.length; i++) {
    const tap = taps[i]!;
    const r = tap.type === 'sync' ? tap.fn(value, ctx) : await asyncResult(tap, true, value, ctx);
    if (r !== undefined) value = r as T;
  }
  return value;
}

/** `hook.promise(ctx)` of an AsyncSeriesHook, the taps called here (as runWaterfall). */
export async function runSeries<C>(hook: Runnable<[C], void>, ctx: C): Promise<void> {
  if (hook.interceptors.length) return hook.promise(ctx);
  const taps = hook.taps as AnyTap[];
  for (let i = 0; i < taps.length; i++) {
    const tap = taps[i]!;
    if (tap.type === 'sync') tap.fn(ctx);
    else await asyncResult(tap, false, ctx);
  }
}

/** `hook.promise(ctx)` of an AsyncSeriesBailHook, the taps called here: the first result not undefined wins. */
export async function runBail<C, R>(hook: Runnable<[C], R>, ctx: C): Promise<R | undefined> {
  if (hook.interceptors.length) return hook.promise(ctx);
  const taps = hook.taps as AnyTap[];
  for (let i = 0; i < taps.length; i++) {
    const tap = taps[i]!;
    const r = tap.type === 'sync' ? tap.fn(ctx) : await asyncResult(tap, false, ctx);
    if (r !== undefined) return r as R;
  }
  return undefined;
}
