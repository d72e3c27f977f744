/**
 * OpenAI's Files and Batches APIs (served by OpenAI-compatible providers and Azure OpenAI through their
 * adapters' `forward`): every call goes auth -> route -> admit -> upstream -> meter; ownership is
 * recorded at creation (core/http/ownership.ts) and a key sees only its own files and batches.
 * Uploads stream upstream while their batch request lines are counted; a batch holds
 * requests x `batches.requestEstimateUsd` against budgets at creation; its results are metered
 * (each line's usage, batch prices) by the first read of its output file. See
 * docs/forwarded-endpoints.md#files-and-batches.
 */
import type Koa from 'koa';
import { errors } from '../errors.js';
import type { ForwardMethod } from '../forward.js';
import type { Gateway } from '../gateway-types.js';
import type { IngressRoute } from '../ingress.js';
import { admitForward, type ForwardScope } from './forward-handler.js';
import { clientBody } from './forward-relay.js';
import { batchInputCounter, batchInputScanner, type BatchInput } from './jsonl.js';
import { openaiErrorBody } from './openai-dialect.js';
import {
  admitOwned,
  admitted,
  adapterFor,
  chosenProvider,
  endpoint,
  jsonOrRelay,
  list,
  ownerOf,
  relayResults,
  send,
  type Serve,
  type Setup,
} from './owned-objects.js';
import { checkId, notFound, Ownership, type OwnedKind } from './ownership.js';
import { responseHeaders, writeJson } from './respond.js';

const DEFAULT_MAX_UPLOAD = 512 * 1024 * 1024;

/** The routes of /v1/files and /v1/batches (part of the OpenAI ingress when the `batches` section is set). */
export function filesAndBatchesRoutes(gw: Gateway): IngressRoute[] {
  const o = gw.config.batches || {};
  const s: Setup = {
    gw,
    errorBody: openaiErrorBody,
    own: new Ownership(gw.store),
    provider: o.provider ?? 'openai',
    requestEstimateUsd: o.requestEstimateUsd ?? 0,
    maxBytes: o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD,
  };
  const route = (method: 'get' | 'post' | 'delete', path: string, serve: Serve): IngressRoute => ({
    method,
    path,
    handler: endpoint(s, serve),
  });
  return [
    route('post', '/v1/files', uploadFile),
    route('get', '/v1/files', (kctx, scope) => list(s, kctx, scope, 'file', '/files')),
    route('get', '/v1/files/:id', (kctx, scope) => owned(s, kctx, scope, 'file', 'GET', '')),
    route('delete', '/v1/files/:id', (kctx, scope) => owned(s, kctx, scope, 'file', 'DELETE', '')),
    route('get', '/v1/files/:id/content', fileContent),
    route('post', '/v1/batches', createBatch),
    route('get', '/v1/batches', (kctx, scope) => list(s, kctx, scope, 'batch', '/batches')),
    route('get', '/v1/batches/:id', (kctx, scope) => owned(s, kctx, scope, 'batch', 'GET', '')),
    route('post', '/v1/batches/:id/cancel', (kctx, scope) => owned(s, kctx, scope, 'batch', 'POST', '/cancel')),
  ];
}

async function uploadFile(kctx: Koa.Context, scope: ForwardScope, s: Setup) {
  const { ctx, adapter } = await admitted(s, scope, 'files', chosenProvider(s, kctx));
  const body = await clientBody(kctx, s.gw.config.server.bodyLimit, s.maxBytes);
  if (!body.data) throw errors.invalidRequest("Missing required parameter: 'file'.", 'file');
  const input: BatchInput = { requests: 0, models: [] };
  let data = body.data;
  if (data instanceof Uint8Array) {
    const scan = batchInputScanner(input);
    scan.push(data);
    scan.end();
  } else data = data.pipe(batchInputCounter(input));
  const up = await send(scope, ctx, adapter, kctx, 'POST', '/files', { data, json: false });
  const file = await jsonOrRelay(s, kctx, scope, ctx, up);
  if (!file) return { status: up.statusCode };
  if (typeof file.id !== 'string') throw errors.upstreamBadResponse(ctx.target!.provider, 'the file has no id');
  await s.own.record('file', checkId('file', file.id), {
    owner: ownerOf(ctx),
    provider: ctx.target!.provider,
    requests: input.requests,
    ...(input.models.length ? { models: input.models } : {}),
  });
  writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(file));
  return { status: 200 };
}

/** A list filtered to the caller's own objects (the page the upstream returned). */
async function owned(
  s: Setup,
  kctx: Koa.Context,
  scope: ForwardScope,
  kind: OwnedKind,
  method: ForwardMethod,
  suffix: string,
) {
  const { id, o, ctx, adapter } = await admitOwned(s, kctx, scope, kind);
  const up = await send(scope, ctx, adapter, kctx, method, `/${kind === 'file' ? 'files' : 'batches'}/${id}${suffix}`);
  const obj = await jsonOrRelay(s, kctx, scope, ctx, up);
  if (!obj) return { status: up.statusCode };
  if (kind === 'file' && method === 'DELETE' && obj.deleted === true) await s.own.forget('file', id);
  if (kind === 'batch') {
    // Output and error files belong to the batch's owner.
    for (const f of [obj.output_file_id, obj.error_file_id]) {
      if (typeof f === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(f) && !(await s.own.get('file', f))) {
        await s.own.record('file', f, {
          owner: o.owner,
          provider: o.provider,
          batch: id,
          ...(o.models ? { models: o.models } : {}),
        });
      }
    }
  }
  writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(obj));
  return { status: 200 };
}

async function createBatch(kctx: Koa.Context, scope: ForwardScope, s: Setup) {
  const body = await clientBody(kctx, s.gw.config.server.bodyLimit, s.gw.config.server.bodyLimit);
  const req = body.json;
  if (!req || !(body.data instanceof Uint8Array))
    throw errors.invalidRequest(
      'The body must be a JSON object with `input_file_id`, `endpoint` and `completion_window`.',
    );
  if (typeof req.input_file_id !== 'string')
    throw errors.invalidRequest("Missing required parameter: 'input_file_id'.", 'input_file_id');
  const fileId = checkId('file', req.input_file_id);
  const file = await s.own.get('file', fileId);
  const provider = file?.provider ?? s.provider;
  const adapter = adapterFor(s, provider);
  const model = file?.models?.[0];
  const ctx = scope.context({ operation: 'batches', requestedModel: `${provider}/${model ?? '*'}`, model });
  // The whole batch is held against budgets at creation: requests x the per-request estimate.
  ctx.costEstimateUsd = (file?.requests ?? 0) * s.requestEstimateUsd;
  await admitForward(s.gw, ctx, provider, model);
  if (!file || file.owner !== ownerOf(ctx)) throw notFound('file', fileId);
  const up = await send(scope, ctx, adapter, kctx, 'POST', '/batches', { data: body.data, json: true });
  const batch = await jsonOrRelay(s, kctx, scope, ctx, up);
  ctx.costUsd = 0; // creating costs nothing: the results are charged when read
  if (!batch) return { status: up.statusCode };
  if (typeof batch.id !== 'string') throw errors.upstreamBadResponse(provider, 'the batch has no id');
  await s.own.record('batch', checkId('batch', batch.id), {
    owner: ownerOf(ctx),
    provider,
    requests: file.requests ?? 0,
    ...(file.models ? { models: file.models } : {}),
  });
  writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(batch));
  return { status: 200 };
}

async function fileContent(kctx: Koa.Context, scope: ForwardScope, s: Setup) {
  const { id, o, ctx, adapter } = await admitOwned(s, kctx, scope, 'file');
  const up = await send(scope, ctx, adapter, kctx, 'GET', `/files/${id}/content`);
  return relayResults(s, kctx, scope, ctx, o.batch, up);
}
