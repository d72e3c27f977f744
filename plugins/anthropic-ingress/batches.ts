/**
 * Anthropic's Message Batches API (`/v1/messages/batches`), served by providers with Anthropic's
 * native API (`anthropic`) through their adapters' `forward`. As for OpenAI's batches
 * (core/http/files-batches.ts): auth -> route -> admit -> upstream -> meter, ownership recorded at
 * creation (a foreign id is 404), requests x `batches.requestEstimateUsd` held at creation, results
 * metered once at batch prices. `results_url` is rewritten to the gateway's own results route, so
 * that SDKs fetch results through the gateway. Errors come back in Anthropic's shape.
 */
import type Koa from 'koa';
import { errors } from '../../core/errors.js';
import type { ForwardMethod } from '../../core/forward.js';
import type { Gateway } from '../../core/gateway-types.js';
import type { IngressRoute } from '../../core/ingress.js';
import { anthropicErrorBody } from '../../core/http/anthropic-error.js';
import { admitForward, type ForwardScope, refuseForward } from '../../core/http/forward-handler.js';
import { clientBody } from '../../core/http/forward-relay.js';
import {
  adapterFor,
  admitOwned,
  chosenProvider,
  endpoint,
  type Json,
  jsonOrRelay,
  list,
  ownerOf,
  relayResults,
  type Serve,
  type Setup,
  send,
} from '../../core/http/owned-objects.js';
import { checkId, Ownership } from '../../core/http/ownership.js';
import { responseHeaders, writeJson } from '../../core/http/respond.js';

const BASE = '/v1/messages/batches';
const MAX_MODELS = 16;

/** The routes of /v1/messages/batches (part of the Anthropic ingress when the `batches` section is set). */
export function batchRoutes(gw: Gateway): IngressRoute[] {
  const o = gw.config.batches || {};
  const s: Setup = {
    gw,
    errorBody: anthropicErrorBody,
    own: new Ownership(gw.store),
    provider: o.anthropicProvider ?? 'anthropic',
    requestEstimateUsd: o.requestEstimateUsd ?? 0,
    maxBytes: gw.config.server.bodyLimit,
  };
  const listBatches: Serve = (kctx, scope) => list(s, kctx, scope, 'batch', BASE, (b) => withResultsUrl(kctx, s, b));
  return [
    { method: 'post', path: BASE, handler: endpoint(s, create) },
    { method: 'get', path: BASE, handler: endpoint(s, listBatches) },
    { method: 'get', path: `${BASE}/:id`, handler: endpoint(s, (kctx, scope) => owned(s, kctx, scope, 'GET', '')) },
    {
      method: 'delete',
      path: `${BASE}/:id`,
      handler: endpoint(s, (kctx, scope) => owned(s, kctx, scope, 'DELETE', '')),
    },
    {
      method: 'post',
      path: `${BASE}/:id/cancel`,
      handler: endpoint(s, (kctx, scope) => owned(s, kctx, scope, 'POST', '/cancel')),
    },
    { method: 'get', path: `${BASE}/:id/results`, handler: endpoint(s, results) },
  ];
}

/** results_url names the upstream; clients must come back to the gateway (the host and prefix they used). */
function withResultsUrl(kctx: Koa.Context, s: Setup, batch: Json): Json {
  if (typeof batch.results_url !== 'string' || typeof batch.id !== 'string') return batch;
  const host = kctx.get('host');
  const scheme = (kctx.req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const path = `${s.gw.config.server.prefix}${BASE}/${batch.id}/results`;
  return { ...batch, results_url: /^[A-Za-z0-9.:[\]-]+$/.test(host) ? `${scheme}://${host}${path}` : path };
}

async function create(kctx: Koa.Context, scope: ForwardScope, s: Setup) {
  const body = await clientBody(kctx, s.gw.config.server.bodyLimit, s.gw.config.server.bodyLimit);
  const requests = body.json?.requests;
  if (!Array.isArray(requests) || !requests.length || !(body.data instanceof Uint8Array)) {
    throw errors.invalidRequest('requests: a non-empty list of { custom_id, params } is required', 'requests');
  }
  const models: string[] = [];
  for (const r of requests as Array<{ params?: { model?: unknown } }>) {
    const m = r?.params?.model;
    if (typeof m === 'string' && !models.includes(m) && models.length < MAX_MODELS) models.push(m);
  }
  const provider = chosenProvider(s, kctx);
  let adapter: ReturnType<typeof adapterFor>;
  try {
    adapter = adapterFor(s, provider); // the provider may be the client's x-switchyard-provider
  } catch (e) {
    return refuseForward(s.gw, scope, 'batches', provider, e); // the key first, and a meter record
  }
  const model = models[0];
  const ctx = scope.context({ operation: 'batches', requestedModel: `${provider}/${model ?? '*'}`, model });
  ctx.costEstimateUsd = requests.length * s.requestEstimateUsd; // the whole batch, held at creation
  await admitForward(s.gw, ctx, provider, model);
  const up = await send(scope, ctx, adapter, kctx, 'POST', BASE, { data: body.data, json: true });
  const batch = await jsonOrRelay(s, kctx, scope, ctx, up);
  ctx.costUsd = 0; // creating costs nothing: the results are charged when read
  if (!batch) return { status: up.statusCode };
  if (typeof batch.id !== 'string') throw errors.upstreamBadResponse(provider, 'the batch has no id');
  await s.own.record('batch', checkId('batch', batch.id), {
    owner: ownerOf(ctx),
    provider,
    requests: requests.length,
    ...(models.length ? { models } : {}),
  });
  writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(withResultsUrl(kctx, s, batch)));
  return { status: 200 };
}

async function owned(s: Setup, kctx: Koa.Context, scope: ForwardScope, method: ForwardMethod, suffix: string) {
  const { id, ctx, adapter } = await admitOwned(s, kctx, scope, 'batch');
  const up = await send(scope, ctx, adapter, kctx, method, `${BASE}/${id}${suffix}`);
  const batch = await jsonOrRelay(s, kctx, scope, ctx, up);
  if (!batch) return { status: up.statusCode };
  if (method === 'DELETE') await s.own.forget('batch', id);
  writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(withResultsUrl(kctx, s, batch)));
  return { status: 200 };
}

async function results(kctx: Koa.Context, scope: ForwardScope, s: Setup) {
  const { id, ctx, adapter } = await admitOwned(s, kctx, scope, 'batch');
  const up = await send(scope, ctx, adapter, kctx, 'GET', `${BASE}/${id}/results`);
  return relayResults(s, kctx, scope, ctx, id, up);
}
