/**
 * GET /v1/models and GET /v1/models/{id} (the SDKs' `models.list()` and `models.retrieve(id)`):
 * every enabled provider's models as "provider/model", plus configured aliases and virtual models,
 * in OpenAI's model object shape. Only auth runs; `modelAccess` taps hide what the caller may not use
 * (e.g. a key's allow-list), and `modelListing` taps add fields (e.g. the catalog's prices). Lists
 * that come from the upstream (discovery) are awaited, boundedly, before answering.
 */
import type Koa from 'koa';
import type { ModelsContext } from '../context.js';
import { errors } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import type { ModelListing, ModelRef } from '../hooks.js';
import { asGatewayError } from '../pipeline.js';
import { authenticate, createContext, startRequest, type RequestStart } from '../request-context.js';
import { sendError } from './respond.js';
import { openaiErrorBody } from './openai-dialect.js';

/**
 * `created` of models whose provider gives none: when this process started, so that a model reads the same
 * in every listing and in `GET /v1/models/{id}` (the current second made two reads a second apart differ).
 */
const CREATED = Math.floor(Date.now() / 1000);

/** The caller's models, in listing order; `only` stops at the entry with that id. */
async function visibleModels(gw: Gateway, ctx: ModelsContext, only?: string): Promise<ModelListing[]> {
  const providers = gw.providers.list();
  await Promise.all(providers.map((p) => p.modelsReady?.()));
  const created = CREATED;
  const { modelAccess, modelListing } = gw.hooks;
  const check = modelAccess.isUsed();
  const decorate = modelListing.isUsed();
  const out: ModelListing[] = [];
  const add = (ref: ModelRef, entry: ModelListing): boolean => {
    if (check && modelAccess.call(ref, ctx) === false) return false;
    out.push(decorate ? modelListing.call(entry, { provider: ref.provider, model: ref.model }) : entry);
    return ref.id === only;
  };
  for (const p of providers) {
    for (const m of p.models()) {
      const id = `${p.name}/${m.id}`;
      if (only !== undefined && id !== only) continue;
      if (
        add(
          { id, provider: p.name, model: m.id },
          { id, object: 'model', created: m.created ?? created, owned_by: p.name },
        )
      )
        return out;
    }
  }
  const routing = gw.config.routing;
  for (const alias of [...Object.keys(routing?.aliases ?? {}), ...Object.keys(routing?.models ?? {})]) {
    if (only !== undefined && alias !== only) continue;
    if (add({ id: alias, model: alias }, { id: alias, object: 'model', created, owned_by: 'switchyard' })) return out;
  }
  return out;
}

async function modelsContext(gw: Gateway, base: RequestStart): Promise<ModelsContext> {
  const ctx = createContext(gw, 'models', base);
  await authenticate(gw, ctx);
  return ctx;
}

/** GET /v1/models */
export function modelsHandler(gw: Gateway): Koa.Middleware {
  return async (kctx) => {
    const base = startRequest(kctx);
    try {
      const ctx = await modelsContext(gw, base);
      kctx.body = { object: 'list', data: await visibleModels(gw, ctx) };
    } catch (e) {
      const err = asGatewayError(e, { id: base.id, log: gw.log });
      sendError(kctx, err, openaiErrorBody(err));
    }
  };
}

/**
 * GET /v1/models/{id}: one model object. Ids contain slashes ("openai/gpt-4.1-mini"); clients send
 * them raw or percent-encoded. A bare id ("gpt-4.1-mini") is found too when a provider lists it.
 * Unknown (or hidden from this caller): 404 model_not_found in OpenAI's error shape.
 */
export function modelHandler(gw: Gateway): Koa.Middleware {
  return async (kctx) => {
    const base = startRequest(kctx);
    const id = String((kctx as Koa.Context & { params?: Record<string, string> }).params?.id ?? '');
    try {
      const ctx = await modelsContext(gw, base);
      let found = id ? (await visibleModels(gw, ctx, id)).find((m) => m.id === id) : undefined;
      if (!found && id && !id.includes('/')) {
        const owner = gw.providers.list().find((p) => p.models().some((m) => m.id === id));
        const entry = owner && (await visibleModels(gw, ctx, `${owner.name}/${id}`))[0];
        if (entry) found = { ...entry, id };
      }
      if (!found) throw errors.modelNotFound(id.slice(0, 256));
      kctx.body = found;
    } catch (e) {
      const err = asGatewayError(e, { id: base.id, log: gw.log });
      sendError(kctx, err, openaiErrorBody(err));
    }
  };
}
