/**
 * What the owned-object endpoints share (OpenAI files and batches, Anthropic message batches): the
 * provider and its adapter, the context admitted through auth, route and admit, one upstream call,
 * JSON answers (errors relayed as they came), listings filtered to the caller's objects, ownership
 * checks (404 for anything not the caller's) and the once-only metering of batch results.
 */
import type { Readable } from 'node:stream';
import type Koa from 'koa';
import type { ForwardContext } from '../context.js';
import { errors } from '../errors.js';
import type { ForwardMethod } from '../forward.js';
import type { Gateway } from '../gateway-types.js';
import type { ProviderAdapter } from '../provider.js';
import { readJsonBody, type UpstreamResponse } from '../upstream.js';
import {
  admitForward,
  type ErrorBody,
  forwardHandler,
  forwardOnce,
  type ForwardScope,
  refuseForward,
} from './forward-handler.js';
import { relayAnswer, upstreamHeaders } from './forward-relay.js';
import { BatchResultUsage } from './jsonl.js';
import { checkId, notFound, type Owned, type OwnedKind, type Ownership } from './ownership.js';
import { responseHeaders, writeJson } from './respond.js';

export const PROVIDER_HEADER = 'x-switchyard-provider';

export interface Setup {
  gw: Gateway;
  /** Error bodies in the client's dialect. */
  errorBody: ErrorBody;
  own: Ownership;
  provider: string;
  requestEstimateUsd: number;
  maxBytes: number;
}

export type Json = Record<string, unknown>;

export type Serve = (kctx: Koa.Context, scope: ForwardScope, s: Setup) => Promise<{ status: number }>;

export function endpoint(s: Setup, serve: Serve): Koa.Middleware {
  return forwardHandler(s.gw, s.errorBody, (kctx, scope) => serve(kctx, scope, s));
}

/** The provider of a new file or a listing: the x-switchyard-provider header, else the configured one. */
export function chosenProvider(s: Setup, kctx: Koa.Context): string {
  const asked = kctx.get(PROVIDER_HEADER);
  return asked || s.provider;
}

export function adapterFor(s: Setup, provider: string): ProviderAdapter {
  const adapter = s.gw.providers.get(provider);
  if (!adapter?.forward)
    throw errors.invalidRequest(
      `Provider "${provider}" is not configured on this gateway, or has no files and batches.`,
      PROVIDER_HEADER,
    );
  return adapter;
}

/** Context, then auth, route and admit with the provider (and model) given. */
export async function admitted(
  s: Setup,
  scope: ForwardScope,
  op: ForwardContext['operation'],
  provider: string,
  model?: string,
) {
  let adapter: ProviderAdapter;
  try {
    adapter = adapterFor(s, provider); // the provider may be the client's x-switchyard-provider
  } catch (e) {
    return refuseForward(s.gw, scope, op, provider, e);
  }
  const ctx = scope.context({ operation: op, requestedModel: `${provider}/${model ?? '*'}`, model });
  ctx.costEstimateUsd = 0; // reading, listing, uploading: no model cost to hold
  await admitForward(s.gw, ctx, provider, model);
  return { ctx, adapter };
}

export async function send(
  scope: ForwardScope,
  ctx: ForwardContext,
  adapter: ProviderAdapter,
  kctx: Koa.Context,
  method: ForwardMethod,
  path: string,
  body?: { data?: Uint8Array | Readable; json?: boolean },
): Promise<UpstreamResponse> {
  const streamed = body?.data !== undefined && !body.json;
  return forwardOnce(ctx, adapter, {
    method,
    path,
    headers: upstreamHeaders(kctx.headers, streamed),
    body: body?.data,
    signal: scope.base.signal,
  });
}

/** The upstream's JSON on success; an error answer is relayed as it came (returns undefined). */
export async function jsonOrRelay(
  s: Setup,
  kctx: Koa.Context,
  scope: ForwardScope,
  ctx: ForwardContext,
  up: UpstreamResponse,
): Promise<Json | undefined> {
  if (up.statusCode >= 400) {
    kctx.respond = false;
    await relayAnswer(
      kctx.res,
      up,
      responseHeaders(ctx),
      scope.base.signal,
      ctx.target!.provider,
      s.gw.upstream.timeoutMs,
    );
    return undefined;
  }
  const body = await readJsonBody(ctx.target!.provider, up, s.gw.upstream.timeoutMs, scope.base.signal);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw errors.upstreamBadResponse(ctx.target!.provider, 'the answer is not a JSON object');
  return body as Json;
}

export const ownerOf = (ctx: ForwardContext): string => ctx.principal?.id ?? '';

export async function list(
  s: Setup,
  kctx: Koa.Context,
  scope: ForwardScope,
  kind: OwnedKind,
  path: string,
  /** Adjust each listed object (e.g. point its results_url at the gateway). */
  shape: (item: Json) => Json = (item) => item,
) {
  const { ctx, adapter } = await admitted(s, scope, kind === 'file' ? 'files' : 'batches', chosenProvider(s, kctx));
  const query = kctx.querystring ? `?${new URLSearchParams(kctx.querystring).toString()}` : '';
  const up = await send(scope, ctx, adapter, kctx, 'GET', path + query);
  const page = await jsonOrRelay(s, kctx, scope, ctx, up);
  if (!page) return { status: up.statusCode };
  const data = Array.isArray(page.data) ? (page.data as Json[]) : [];
  const mine: Json[] = [];
  for (const item of data) {
    const id = typeof item.id === 'string' ? item.id : '';
    const o = id ? await s.own.get(kind, id) : undefined;
    if (o && o.owner === ownerOf(ctx) && o.provider === ctx.target!.provider) mine.push(shape(item));
  }
  writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify({ ...page, data: mine }));
  return { status: 200 };
}

/** Admit, then check that the caller owns `id` (else 404, the upstream never asked). */
export async function admitOwned(s: Setup, kctx: Koa.Context, scope: ForwardScope, kind: OwnedKind) {
  const id = checkId(kind, String(kctx.params.id ?? ''));
  const o: Owned | undefined = await s.own.get(kind, id);
  // The model of the requests inside (when known) is what allow-lists check.
  const { ctx, adapter } = await admitted(
    s,
    scope,
    kind === 'file' ? 'files' : 'batches',
    o?.provider ?? s.provider,
    o?.models?.[0],
  );
  if (!o || o.owner !== ownerOf(ctx)) throw notFound(kind, id);
  return { id, o, ctx, adapter };
}

/**
 * Relay a batch's results; the first complete read meters their usage (each line's, at batch prices,
 * charged to budgets), later reads cost nothing.
 */
export async function relayResults(
  s: Setup,
  kctx: Koa.Context,
  scope: ForwardScope,
  ctx: ForwardContext,
  batch: string | undefined,
  up: UpstreamResponse,
): Promise<{ status: number }> {
  const scan = batch && up.statusCode < 400 ? new BatchResultUsage() : undefined;
  kctx.respond = false;
  const relayed = await relayAnswer(
    kctx.res,
    up,
    responseHeaders(ctx),
    scope.base.signal,
    ctx.target!.provider,
    s.gw.upstream.timeoutMs,
    scan ? (chunk) => scan.push(chunk) : undefined,
  );
  ctx.costUsd = 0;
  if (scan && relayed.complete && (await s.own.firstSettlement(batch!))) {
    scan.end();
    ctx.usage = scan.usage;
    ctx.batch = true;
    ctx.costUsd = undefined; // priced by the catalog at batch prices
    if (scan.model && ctx.target) ctx.target = { ...ctx.target, model: scan.model };
  }
  if (!relayed.complete) kctx.res.destroy();
  return { status: up.statusCode };
}
