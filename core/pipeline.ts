/**
 * The request pipeline: auth -> route -> admit -> transform -> cache -> attempts (with failover)
 * -> transform out -> cache store, and the meter record once the request has ended. Ingress
 * dialects call runChat/runEmbeddings with a context and render the outcome in their own format.
 */
import { attempt } from './attempt.js';
import { ChunkAccumulator, dropRaw, responseToChunks } from './chunks.js';
import type {
  AnswerInfo,
  ChatContext,
  EmbeddingsContext,
  ForwardContext,
  MediaContext,
  RequestContext,
  Target,
} from './context.js';
import { abortSourceOf, authenticate, needsAuth } from './request-context.js';
import { dispatchShadow } from './shadow.js';
import { countTokens, deltaText, promptTokens } from './tokens.js';
import { GatewayError, errors } from './errors.js';
import type { GatewayInternals } from './gateway-types.js';
import { type Hooks, runBail, runSeries, runWaterfall } from './hooks.js';
import type { ChatCompletionChunk, ChatCompletionResponse, EmbeddingsResponse } from './types.js';
import { checkChatResponse, checkChunk, checkEmbeddings, tokenCount } from './upstream-shape.js';
import type { UsageRecord } from './usage.js';
import { LiveList } from './live-list.js';
import { modelKey } from './target-key.js';

export type ChatOutcome =
  | { kind: 'response'; response: ChatCompletionResponse }
  | {
      kind: 'stream';
      chunks: AsyncIterable<ChatCompletionChunk>;
      /** Release the upstream when the chunks were not read to the end (also when never started). Never rejects. */
      close(): Promise<void>;
    };

/** @deprecated Use `authenticate` from core/request-context.ts (the same function). */
export const runAuth = authenticate;

/** Run auth, route and admit: the steps every operation shares. */
export async function admitRequest(
  gw: GatewayInternals,
  ctx: ChatContext | EmbeddingsContext | MediaContext | ForwardContext,
): Promise<void> {
  const { hooks } = gw;
  if (needsAuth(gw, ctx)) await authenticate(gw, ctx);
  const targets = await runWaterfall(hooks.route, ctx.targets, ctx);
  if (!targets || targets.length === 0) throw errors.modelNotFound(ctx.requestedModel);
  ctx.targets = targets;
  if (hooks.admit.isUsed()) await runSeries(hooks.admit, ctx);
}

export async function runChat(gw: GatewayInternals, ctx: ChatContext): Promise<ChatOutcome> {
  const { hooks } = gw;
  await admitRequest(gw, ctx);
  if (hooks.transformRequest.isUsed()) ctx.request = await runWaterfall(hooks.transformRequest, ctx.request, ctx);
  if (ctx.shadow?.length) dispatchShadow(gw, ctx);

  if (hooks.cacheLookup.isUsed()) {
    const hit = await runBail(hooks.cacheLookup, ctx);
    if (hit) {
      ctx.cache = hit.kind;
      ctx.target ??= hit.target ?? ctx.targets[0]; // whose answer it is (entries are keyed by the target that answered)
      if (hit.headers) Object.assign(ctx.responseHeaders, hit.headers);
      ctx.usage = hit.response.usage;
      // Stored answers are the provider's (before transforms): transforms apply to every delivery.
      if (!ctx.stream) {
        ctx.answer = answerInfo(hit.response);
        const response = hooks.transformResponse.isUsed()
          ? await hooks.transformResponse.promise(hit.response, ctx)
          : hit.response;
        return { kind: 'response', response };
      }
      const chunks = responseToChunks(hit.response)[Symbol.iterator]() as Iterator<ChatCompletionChunk>;
      return streamOutcome(gw, ctx, deliver(gw, ctx, chunks, undefined, false), chunks);
    }
  }

  if (!ctx.stream) {
    // Returned, not awaited, and the attempt's call without an async function of its own: while the
    // upstream answers, no suspended frame of runChat or of the call is kept (bench/profile-notes.md,
    // ninth round).
    return attempt(gw, ctx, (adapter, target, call) =>
      Promise.resolve(adapter.chat(requestFor(ctx, target), call)).then((r) => checkChatResponse(r, target.provider)),
    ).then((answer) => completeAnswer(gw, ctx, answer));
  }

  // Streams: an attempt succeeds once its first chunk has arrived, so failover happens before the
  // client has seen a byte.
  const { iterator, first } = await attempt(
    gw,
    ctx,
    async (adapter, target, call) => {
      const iterable = await adapter.chatStream(requestFor(ctx, target), call);
      const iterator = iterable[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw errors.streamInterrupted(target.provider, 'the stream ended before its first chunk');
      checkChunk(first.value, target.provider);
      return { iterator, first };
    },
    (lost) => {
      lost.iterator.return?.(undefined)?.catch(() => undefined);
    },
  );
  return streamOutcome(gw, ctx, deliver(gw, ctx, iterator, first.value, true), iterator);
}

/** A whole chat answer: usage and answer info noted, transformResponse taps applied, the cache store started. */
function completeAnswer(
  gw: GatewayInternals,
  ctx: ChatContext,
  answer: ChatCompletionResponse,
): ChatOutcome | Promise<ChatOutcome> {
  const { hooks } = gw;
  ctx.usage = answer.usage;
  ctx.answer = answerInfo(answer);
  if (hooks.transformResponse.isUsed()) {
    // The cache keeps the provider's answer; a copy, in case a tap changes the object in place.
    const stored = hooks.cacheStore.isUsed() ? structuredClone(answer) : undefined;
    return hooks.transformResponse.promise(dropRaw(answer), ctx).then((response): ChatOutcome => {
      if (stored) storeInBackground(gw, ctx, stored);
      return { kind: 'response', response };
    });
  }
  if (hooks.cacheStore.isUsed()) storeInBackground(gw, ctx, answer);
  return { kind: 'response', response: answer };
}

/**
 * A stream to deliver: the delivered chunks (wrapped by transformStream taps, when any), and how to tear
 * it down when the client's answer ends early.
 */
function streamOutcome(
  gw: GatewayInternals,
  ctx: ChatContext,
  delivered: AsyncGenerator<ChatCompletionChunk>,
  upstream: Iterator<ChatCompletionChunk> | AsyncIterator<ChatCompletionChunk>,
): ChatOutcome {
  const chunks = gw.hooks.transformStream.isUsed() ? gw.hooks.transformStream.call(delivered, ctx) : delivered;
  return {
    kind: 'stream',
    chunks,
    async close() {
      // A generator that never started skips its finally block: release the upstream directly too.
      try {
        await delivered.return(undefined);
      } catch {
        /* torn down anyway */
      }
      try {
        await upstream.return?.(undefined);
      } catch {
        /* torn down anyway */
      }
    },
  };
}

export async function runEmbeddings(gw: GatewayInternals, ctx: EmbeddingsContext): Promise<EmbeddingsResponse> {
  await admitRequest(gw, ctx);
  // Targets whose provider has no embeddings endpoint are skipped rather than failed on.
  const capable = ctx.targets.filter((t) => gw.providers.get(t.provider)?.embeddings);
  if (!capable.length) throw errors.unsupported('Embeddings', ctx.targets[0].provider);
  ctx.targets = capable;
  const response = await attempt(gw, ctx, async (adapter, target, call) => {
    if (!adapter.embeddings) throw errors.unsupported('Embeddings', adapter.name);
    const request = target.params
      ? { ...ctx.request, ...target.params, model: target.model }
      : { ...ctx.request, model: target.model };
    return checkEmbeddings(await adapter.embeddings(request, call), target.provider);
  });
  ctx.usage = {
    prompt_tokens: response.usage?.prompt_tokens ?? 0,
    completion_tokens: 0,
    total_tokens: response.usage?.total_tokens ?? 0,
  };
  return response;
}

export function requestFor(ctx: ChatContext, target: Target) {
  const req = target.params ? { ...ctx.request, ...target.params } : { ...ctx.request };
  req.model = target.model;
  return req;
}

/** Wrap the upstream iterator: time to first token, usage capture, chunk transforms, cache store. */
async function* deliver(
  gw: GatewayInternals,
  ctx: ChatContext,
  iterator: Iterator<ChatCompletionChunk> | AsyncIterator<ChatCompletionChunk>,
  first: ChatCompletionChunk | undefined,
  storable: boolean,
): AsyncGenerator<ChatCompletionChunk> {
  const { hooks } = gw;
  const wantsUsage = ctx.request.stream_options?.include_usage === true;
  const transform = hooks.transformChunk.isUsed();
  const rewrapped = hooks.transformStream.isUsed(); // its taps may change chunks: no raw relay then
  const acc = storable && hooks.cacheStore.isUsed() ? new ChunkAccumulator() : undefined;
  // Output text as delivered, counted only if the stream ends without the upstream's usage.
  const output: string[] = [];
  let next = first;
  try {
    for (;;) {
      if (next === undefined) {
        const r = await iterator.next();
        if (r.done) break;
        next = checkChunk(r.value, ctx.target?.provider ?? 'upstream');
      }
      let chunk: ChatCompletionChunk | null = next;
      next = undefined;
      if (ctx.ttftMs === undefined) ctx.ttftMs = performance.now() - ctx.startedAt;
      if (chunk.usage) ctx.usage = chunk.usage;
      noteChunk(ctx, chunk);
      for (const c of chunk.choices) {
        const t = deltaText(c.delta);
        if (t) output.push(t);
      }
      acc?.add(chunk);
      if (!wantsUsage && chunk.usage) {
        if (chunk.choices.length === 0) continue; // the usage-only chunk the client did not ask for
        chunk = dropRaw({ ...chunk, usage: undefined });
      }
      if (transform) chunk = hooks.transformChunk.call(dropRaw(chunk), ctx);
      else if (rewrapped) dropRaw(chunk);
      if (chunk) yield chunk;
    }
  } finally {
    // Reached on normal end, on an upstream error, and when the writer stops early (client gone):
    // in the last two cases release the upstream.
    if (next !== undefined || !acc?.finished) {
      try {
        await iterator.return?.(undefined);
      } catch {
        /* the upstream is being torn down anyway */
      }
    }
    if (storable && !ctx.usage) estimateUsage(ctx, output);
  }
  if (acc?.finished && !abortSourceOf(ctx).aborted) storeInBackground(gw, ctx, acc.toResponse());
}

/**
 * A stream from an upstream ended without usage (client gone before the usage chunk, upstream cut,
 * or an upstream that does not report it): charge what is known, marked as an estimate. Prompt:
 * the same estimate admission used; output: the delivered text, tokenized.
 */
function estimateUsage(ctx: ChatContext, output: string[]): void {
  try {
    const prompt = promptTokens(ctx.request);
    const completion = countTokens(output.join(''));
    ctx.usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    ctx.usageEstimated = true;
  } catch (err) {
    ctx.log.warn({ err: errorSummary(err) }, 'usage estimate failed');
  }
}

/** Id, model and finish reasons of a complete answer (no content). */
function answerInfo(response: ChatCompletionResponse): AnswerInfo {
  const finishReasons: string[] = [];
  for (const c of response.choices ?? [])
    if (c.finish_reason) finishReasons[c.index ?? finishReasons.length] = c.finish_reason;
  return { id: response.id, model: response.model, finishReasons };
}

/** The same for a stream, chunk by chunk. */
function noteChunk(ctx: ChatContext, chunk: ChatCompletionChunk): void {
  const a = (ctx.answer ??= { id: chunk.id, model: chunk.model, finishReasons: [] });
  for (const c of chunk.choices) if (c.finish_reason) a.finishReasons[c.index ?? 0] = c.finish_reason;
}

/** Store an answer the client already has; shutdown waits for it (backgroundWork) before the close hooks. */
function storeInBackground(gw: GatewayInternals, ctx: ChatContext, response: ChatCompletionResponse): void {
  track(
    gw,
    gw.hooks.cacheStore
      .promise(ctx, response)
      .catch((err) => ctx.log.warn({ err: errorSummary(err) }, 'cache store failed')),
  );
}

/** Anything thrown by an adapter that is not a GatewayError is a bug: log it, answer 500. */
export function asGatewayError(e: unknown, ctx: { log: RequestContext['log']; id: string }): GatewayError {
  if (e instanceof GatewayError) return e;
  ctx.log.error({ err: errorSummary(e) }, 'unexpected error');
  return errors.internal(ctx.id);
}

/** Error details that are safe to log: class, code, message (never request content). */
export function errorSummary(e: unknown): Record<string, unknown> {
  const err = e as { name?: string; code?: unknown; message?: string; stack?: string };
  return {
    type: err?.name,
    code: err?.code,
    message: err?.message,
    stack: err?.stack?.split('\n').slice(1, 4).join(' | '),
  };
}

/**
 * Work a request left running after its answer (meter taps, cache stores), per gateway (keyed by its
 * hooks): shutdown awaits it before the close hooks.
 */
const background = new WeakMap<object, LiveList<Promise<void>>>();

/** Emit the meter record for an ended request. Never awaited by the request; never throws. */
export function finishRequest(gw: GatewayInternals, ctx: RequestContext, status: number, error?: GatewayError): void {
  const meter = gw.hooks.meter;
  if (!meter.isUsed()) return;
  try {
    const record = usageRecord(ctx, status, error);
    const work = meter.interceptors.length
      ? meter.promise(record, ctx)
      : callMeterTaps(meter.taps as unknown as readonly MeterTap[], record, ctx);
    if (work)
      track(
        gw,
        work.catch((err) => ctx.log.warn({ err: errorSummary(err) }, 'meter failed')),
      );
  } catch (err) {
    ctx.log.warn({ err: errorSummary(err) }, 'meter failed');
  }
}

type MeterTap = { type: Hooks['meter']['taps'][number]['type']; fn: (...args: unknown[]) => unknown };

/**
 * Call every meter tap in order, as the parallel hook would, but a synchronous tap as a plain call:
 * tapable's promise() wraps every call in a new Promise with its own closures, and the zero-config
 * taps (pricing, the usage line) are synchronous. Promise and callback taps run as they would in the
 * hook; what they return is awaited together (shutdown waits for it). One tap's throw or rejection
 * is logged and does not keep the others from their record.
 */
function callMeterTaps(taps: readonly MeterTap[], record: UsageRecord, ctx: RequestContext): Promise<void> | undefined {
  let waiting: Promise<unknown>[] | undefined;
  for (const tap of taps) {
    try {
      if (tap.type === 'sync') tap.fn(record, ctx);
      else if (tap.type === 'promise')
        (waiting ??= []).push(Promise.resolve(tap.fn(record, ctx)).catch(meterFailed(ctx)));
      else {
        const done = new Promise<void>((resolve, reject) => {
          tap.fn(record, ctx, (err?: unknown) => (err ? reject(err) : resolve()));
        });
        (waiting ??= []).push(done.catch(meterFailed(ctx)));
      }
    } catch (err) {
      meterFailed(ctx)(err);
    }
  }
  return waiting ? Promise.all(waiting).then(() => undefined) : undefined;
}

const meterFailed = (ctx: RequestContext) => (err: unknown) => {
  ctx.log.warn({ err: errorSummary(err) }, 'meter failed');
};

/** Remember background work until it settles (backgroundWork waits for it at shutdown). */
function track(gw: GatewayInternals, work: Promise<void>): void {
  let pending = background.get(gw.hooks);
  if (!pending) background.set(gw.hooks, (pending = new LiveList()));
  const list = pending;
  const entry = list.add(work);
  void work.finally(() => list.remove(entry));
}

/**
 * Wait (at most `ms`) until every meter record emitted so far has been handled by every meter tap, and
 * every answer handed to the cache has been stored.
 */
export async function backgroundWork(hooks: object, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let pending = background.get(hooks); pending?.size; ) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending.values()),
      new Promise((r) => {
        timer = setTimeout(r, left);
      }),
    ]);
    clearTimeout(timer);
  }
  return true;
}

/**
 * The metadata-only meter record of an ended request. Built field by field in a fixed order (the
 * order of the usage log line), optional fields only when set: no spread of temporary objects.
 */
export function usageRecord(ctx: RequestContext, status: number, error?: GatewayError): UsageRecord {
  const u = ctx.usage;
  const r = {
    requestId: ctx.id,
    time: ctx.time,
    operation: ctx.operation,
    dialect: ctx.dialect,
    principalId: ctx.principal?.id,
    project: ctx.principal?.project,
  } as UsageRecord;
  if (ctx.endUser) r.endUser = ctx.endUser;
  r.requestedModel = ctx.requestedModel;
  r.provider = ctx.target?.provider;
  r.model = ctx.target?.model;
  r.stream = ctx.stream;
  r.status = status;
  r.errorCode = error?.code ?? null;
  r.aborted = status === 499;
  r.cache = ctx.cache;
  r.latencyMs = Math.round((performance.now() - ctx.startedAt) * 1000) / 1000;
  r.ttftMs = ctx.ttftMs === undefined ? undefined : Math.round(ctx.ttftMs * 1000) / 1000;
  r.attempts = ctx.attempts.length;
  // Upstream counts are untrusted: negative, fractional-infinite or non-numbers count as 0.
  r.promptTokens = tokenCount(u?.prompt_tokens);
  r.completionTokens = tokenCount(u?.completion_tokens);
  r.totalTokens = tokenCount(u?.total_tokens);
  r.cachedTokens = tokenCount(u?.prompt_tokens_details?.cached_tokens);
  r.cacheWriteTokens = tokenCount(u?.prompt_tokens_details?.cache_creation_tokens);
  r.reasoningTokens = tokenCount(u?.completion_tokens_details?.reasoning_tokens);
  if ('media' in ctx && ctx.media) r.units = { ...ctx.media };
  if (ctx.usageEstimated) r.usageEstimated = true;
  if (ctx.isShadow) r.shadow = true;
  if (ctx.costUsd !== undefined) {
    r.costUsd = ctx.costUsd;
    r.listCostUsd = ctx.costUsd;
  }
  if (ctx.batch) r.batch = true;
  const log: NonNullable<UsageRecord['attemptLog']> = [];
  for (const a of ctx.attempts) {
    const entry: (typeof log)[number] = {
      target: modelKey(a.provider, a.model),
      status: a.status,
      code: a.code,
      latencyMs: Math.round(a.latencyMs * 1000) / 1000,
    };
    if (a.hedge) entry.hedge = true;
    if (a.cancelled) entry.cancelled = true;
    log.push(entry);
  }
  r.attemptLog = log;
  return r;
}
