/**
 * The request pipeline: auth -> route -> admit -> transform -> cache -> attempts (with failover)
 * -> transform out -> cache store, and the meter record once the request has ended. Ingress
 * dialects call runChat/runEmbeddings with a context and render the outcome in their own format.
 */
import { attempt } from './attempt.js';
import { ChunkAccumulator, dropRaw, responseToChunks } from './chunks.js';
import type { ChatContext, EmbeddingsContext, RequestContext, Target } from './context.js';
import { dispatchShadow } from './shadow.js';
import { GatewayError, errors } from './errors.js';
import type { GatewayInternals } from './gateway-types.js';
import type { ChatCompletionChunk, ChatCompletionResponse, EmbeddingsResponse } from './types.js';
import type { UsageRecord } from './usage.js';

export type ChatOutcome =
  | { kind: 'response'; response: ChatCompletionResponse }
  | { kind: 'stream'; chunks: AsyncIterable<ChatCompletionChunk> };

/** Run the auth hook; when any auth plugin is installed, a request without a principal is refused. */
export async function runAuth(gw: GatewayInternals, ctx: RequestContext): Promise<void> {
  if (!gw.hooks.auth.isUsed()) return;
  const principal = await gw.hooks.auth.promise(ctx);
  if (!principal) throw ctx.headers.authorization || ctx.headers['x-api-key'] ? errors.invalidKey() : errors.missingKey();
  ctx.principal = principal;
}

/** Run auth, route and admit: the steps every operation shares. */
async function admitRequest(gw: GatewayInternals, ctx: ChatContext | EmbeddingsContext): Promise<void> {
  const { hooks } = gw;
  await runAuth(gw, ctx);
  const targets = await hooks.route.promise(ctx.targets, ctx);
  if (!targets || targets.length === 0) throw errors.modelNotFound(ctx.requestedModel);
  ctx.targets = targets;
  if (hooks.admit.isUsed()) await hooks.admit.promise(ctx);
}

export async function runChat(gw: GatewayInternals, ctx: ChatContext): Promise<ChatOutcome> {
  const { hooks } = gw;
  await admitRequest(gw, ctx);
  if (hooks.transformRequest.isUsed()) ctx.request = await hooks.transformRequest.promise(ctx.request, ctx);
  if (ctx.shadow?.length) dispatchShadow(gw, ctx);

  if (hooks.cacheLookup.isUsed()) {
    const hit = await hooks.cacheLookup.promise(ctx);
    if (hit) {
      ctx.cache = hit.kind;
      ctx.target ??= ctx.targets[0]; // the cache key includes the resolved target: this is whose answer it is
      if (hit.headers) Object.assign(ctx.responseHeaders, hit.headers);
      ctx.usage = hit.response.usage;
      if (!ctx.stream) return { kind: 'response', response: hit.response };
      const chunks = responseToChunks(hit.response);
      return { kind: 'stream', chunks: deliver(gw, ctx, chunks[Symbol.iterator]() as Iterator<ChatCompletionChunk>, undefined, false) };
    }
  }

  if (!ctx.stream) {
    let response = await attempt(gw, ctx, (adapter, target, signal) =>
      adapter.chat(requestFor(ctx, target), { target, signal, ctx }));
    ctx.usage = response.usage;
    if (hooks.transformResponse.isUsed()) response = await hooks.transformResponse.promise(dropRaw(response), ctx);
    if (hooks.cacheStore.isUsed()) storeInBackground(gw, ctx, response);
    return { kind: 'response', response };
  }

  // Streams: an attempt succeeds once its first chunk has arrived, so failover happens before the
  // client has seen a byte.
  const { iterator, first } = await attempt(gw, ctx, async (adapter, target, signal) => {
    const iterable = await adapter.chatStream(requestFor(ctx, target), { target, signal, ctx });
    const iterator = iterable[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw errors.streamInterrupted(target.provider, 'the stream ended before its first chunk');
    return { iterator, first };
  }, (lost) => { lost.iterator.return?.(undefined)?.catch(() => undefined); });
  return { kind: 'stream', chunks: deliver(gw, ctx, iterator, first.value, true) };
}

export async function runEmbeddings(gw: GatewayInternals, ctx: EmbeddingsContext): Promise<EmbeddingsResponse> {
  await admitRequest(gw, ctx);
  // Targets whose provider has no embeddings endpoint are skipped rather than failed on.
  const capable = ctx.targets.filter((t) => gw.providers.get(t.provider)?.embeddings);
  if (!capable.length) throw errors.unsupported('Embeddings', ctx.targets[0].provider);
  ctx.targets = capable;
  const response = await attempt(gw, ctx, (adapter, target, signal) => {
    if (!adapter.embeddings) throw errors.unsupported('Embeddings', adapter.name);
    const request = target.params ? { ...ctx.request, ...target.params, model: target.model } : { ...ctx.request, model: target.model };
    return adapter.embeddings(request, { target, signal, ctx });
  });
  ctx.usage = { prompt_tokens: response.usage?.prompt_tokens ?? 0, completion_tokens: 0, total_tokens: response.usage?.total_tokens ?? 0 };
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
  const acc = storable && hooks.cacheStore.isUsed() ? new ChunkAccumulator() : undefined;
  let next = first;
  try {
    for (;;) {
      if (next === undefined) {
        const r = await iterator.next();
        if (r.done) break;
        next = r.value;
      }
      let chunk: ChatCompletionChunk | null = next;
      next = undefined;
      if (ctx.ttftMs === undefined) ctx.ttftMs = performance.now() - ctx.startedAt;
      if (chunk.usage) ctx.usage = chunk.usage;
      acc?.add(chunk);
      if (!wantsUsage && chunk.usage) {
        if (chunk.choices.length === 0) continue; // the usage-only chunk the client did not ask for
        chunk = dropRaw({ ...chunk, usage: undefined });
      }
      if (transform) chunk = hooks.transformChunk.call(dropRaw(chunk), ctx);
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
  }
  if (acc?.finished && !ctx.signal.aborted) storeInBackground(gw, ctx, acc.toResponse());
}

function storeInBackground(gw: GatewayInternals, ctx: ChatContext, response: ChatCompletionResponse): void {
  gw.hooks.cacheStore.promise(ctx, response).catch((err) => ctx.log.warn({ err: errorSummary(err) }, 'cache store failed'));
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
  return { type: err?.name, code: err?.code, message: err?.message, stack: err?.stack?.split('\n').slice(1, 4).join(' | ') };
}

/** Emit the meter record for an ended request. Never awaited; never throws. */
export function finishRequest(gw: GatewayInternals, ctx: RequestContext, status: number, error?: GatewayError): void {
  if (!gw.hooks.meter.isUsed()) return;
  const record = usageRecord(ctx, status, error);
  gw.hooks.meter.promise(record, ctx).catch((err) => ctx.log.warn({ err: errorSummary(err) }, 'meter failed'));
}

/** The metadata-only meter record of an ended request. */
export function usageRecord(ctx: RequestContext, status: number, error?: GatewayError): UsageRecord {
  const u = ctx.usage;
  return {
    requestId: ctx.id,
    time: ctx.time,
    operation: ctx.operation,
    dialect: ctx.dialect,
    principalId: ctx.principal?.id,
    project: ctx.principal?.project,
    requestedModel: ctx.requestedModel,
    provider: ctx.target?.provider,
    model: ctx.target?.model,
    stream: ctx.stream,
    status,
    errorCode: error?.code ?? null,
    aborted: status === 499,
    cache: ctx.cache,
    latencyMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
    ttftMs: ctx.ttftMs === undefined ? undefined : Math.round(ctx.ttftMs * 1000) / 1000,
    attempts: ctx.attempts.length,
    promptTokens: u?.prompt_tokens ?? 0,
    completionTokens: u?.completion_tokens ?? 0,
    totalTokens: u?.total_tokens ?? 0,
    cachedTokens: u?.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: num(u?.prompt_tokens_details?.cache_creation_tokens),
    reasoningTokens: u?.completion_tokens_details?.reasoning_tokens ?? 0,
    ...(ctx.isShadow ? { shadow: true } : {}),
    attemptLog: ctx.attempts.map((a) => ({
      target: `${a.provider}/${a.model}`, status: a.status, code: a.code, latencyMs: Math.round(a.latencyMs * 1000) / 1000,
      ...(a.hedge ? { hedge: true } : {}), ...(a.cancelled ? { cancelled: true } : {}),
    })),
  };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
