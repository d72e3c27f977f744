/**
 * Koa handlers for the model endpoints. They build the request context, run the pipeline and render
 * the outcome (JSON or SSE) in the ingress dialect, and always emit the meter record at the end.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { ChatContext, EmbeddingsContext, ModelsContext, RequestContext } from '../context.js';
import type { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import type { ModelListing } from '../hooks.js';
import { rawJson } from '../chunks.js';
import { asGatewayError, finishRequest, runAuth, runChat, runEmbeddings } from '../pipeline.js';
import { clientClosed } from '../upstream.js';
import { readJson } from './body.js';
import { writeJson } from './respond.js';
import type { Dialect } from './dialect.js';
import { openaiErrorBody, parseEmbeddings } from './openai-dialect.js';
import { startSse, writeSse } from './sse-writer.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface Base {
  id: string;
  signal: AbortSignal;
  startedAt: number;
  time: number;
}

/** Request id (the client's x-request-id if sane) and an AbortSignal that fires on disconnect. */
function begin(kctx: Koa.Context): Base {
  const startedAt = performance.now();
  const given = kctx.get('x-request-id');
  const id = given && REQUEST_ID.test(given) ? given : randomUUID();
  const controller = new AbortController();
  const res = kctx.res;
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  kctx.set('x-request-id', id);
  return { id, signal: controller.signal, startedAt, time: Date.now() };
}

function contextFields(gw: Gateway, kctx: Koa.Context, base: Base, dialect: string) {
  let log: Logger | undefined;
  return {
    id: base.id,
    dialect,
    headers: kctx.headers,
    time: base.time,
    startedAt: base.startedAt,
    signal: base.signal,
    // The child logger is made on first use: most requests never log (bench/: ~1-2% of CPU).
    get log(): Logger {
      return (log ??= gw.log.child({ reqId: base.id }));
    },
    targets: [],
    attempts: [],
    responseHeaders: {},
    state: {},
  };
}

function responseHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = { 'x-request-id': ctx.id };
  if (ctx.target) {
    h['x-switchyard-provider'] = ctx.target.provider;
    h['x-switchyard-model'] = ctx.target.model;
  }
  if (ctx.attempts.length) h['x-switchyard-attempts'] = String(ctx.attempts.length);
  if (ctx.cache) h['x-switchyard-cache'] = ctx.cache;
  return Object.assign(h, ctx.responseHeaders);
}

function sendError(kctx: Koa.Context, err: GatewayError, body: unknown, ctx?: RequestContext): void {
  if (ctx) kctx.set(responseHeaders(ctx));
  kctx.set(err.headers);
  kctx.status = err.status === 499 ? 499 : err.status;
  kctx.body = body;
}

export function chatHandler(gw: Gateway, dialect: Dialect): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  return async (kctx) => {
    const base = begin(kctx);
    let ctx: ChatContext | undefined;
    try {
      const request = dialect.parseChat(await readJson(kctx.req, limit));
      // Object.assign onto the fields keeps the lazy `log` getter (a spread would call it).
      ctx = Object.assign(contextFields(gw, kctx, base, dialect.name), {
        operation: 'chat' as const,
        requestedModel: request.model,
        request,
        stream: request.stream === true,
      });
      const outcome = await runChat(gw, ctx);
      if (outcome.kind === 'response') {
        const rendered = dialect.renderChat(outcome.response, ctx) as object;
        writeJson(kctx, 200, responseHeaders(ctx), rawJson(rendered) ?? JSON.stringify(rendered));
        finishRequest(gw, ctx, 200);
        return;
      }
      kctx.respond = false;
      const res = kctx.res;
      const enc = dialect.streamEncoder(ctx);
      startSse(res, responseHeaders(ctx));
      let error: GatewayError | undefined;
      try {
        for await (const chunk of outcome.chunks) {
          const text = enc.chunk(chunk);
          if (text && !(await writeSse(res, text, base.signal))) break;
        }
        if (!base.signal.aborted) res.end(enc.end());
      } catch (e) {
        error = asGatewayError(e, ctx);
        ctx.log.warn({ status: error.status, code: error.code, provider: ctx.target?.provider }, 'stream failed after it started');
        if (!base.signal.aborted) res.end(enc.error(error));
      }
      if (base.signal.aborted) {
        error = clientClosed();
        res.destroy();
      }
      finishRequest(gw, ctx, error ? error.status : 200, error);
    } catch (e) {
      const err = base.signal.aborted ? clientClosed() : asGatewayError(e, ctx ?? { id: base.id, log: gw.log });
      sendError(kctx, err, dialect.errorBody(err, base.id), ctx);
      if (ctx) finishRequest(gw, ctx, err.status, err);
    }
  };
}

export function embeddingsHandler(gw: Gateway): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  return async (kctx) => {
    const base = begin(kctx);
    let ctx: EmbeddingsContext | undefined;
    try {
      const request = parseEmbeddings(await readJson(kctx.req, limit));
      ctx = Object.assign(contextFields(gw, kctx, base, 'openai'), {
        operation: 'embeddings' as const,
        requestedModel: request.model,
        request,
        stream: false as const,
      });
      const response = await runEmbeddings(gw, ctx);
      writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(response));
      finishRequest(gw, ctx, 200);
    } catch (e) {
      const err = base.signal.aborted ? clientClosed() : asGatewayError(e, ctx ?? { id: base.id, log: gw.log });
      sendError(kctx, err, openaiErrorBody(err), ctx);
      if (ctx) finishRequest(gw, ctx, err.status, err);
    }
  };
}

/** GET /v1/models: every enabled provider's models as "provider/model", plus configured aliases. */
export function modelsHandler(gw: Gateway): Koa.Middleware {
  return async (kctx) => {
    const base = begin(kctx);
    try {
      if (gw.hooks.auth.isUsed()) {
        const ctx: ModelsContext = Object.assign(contextFields(gw, kctx, base, 'openai'), {
          operation: 'models' as const, requestedModel: '', request: {}, stream: false as const,
        });
        await runAuth(gw, ctx);
      }
      const created = Math.floor(Date.now() / 1000);
      const data: ModelListing[] = [];
      const decorate = gw.hooks.modelListing.isUsed();
      for (const p of gw.providers.list()) {
        for (const m of p.models()) {
          const entry: ModelListing = { id: `${p.name}/${m.id}`, object: 'model', created: m.created ?? created, owned_by: p.name };
          data.push(decorate ? gw.hooks.modelListing.call(entry, { provider: p.name, model: m.id }) : entry);
        }
      }
      for (const alias of [...Object.keys(gw.config.routing?.aliases ?? {}), ...Object.keys(gw.config.routing?.models ?? {})]) {
        const entry: ModelListing = { id: alias, object: 'model', created, owned_by: 'switchyard' };
        data.push(decorate ? gw.hooks.modelListing.call(entry, { model: alias }) : entry);
      }
      kctx.body = { object: 'list', data };
    } catch (e) {
      const err = asGatewayError(e, { id: base.id, log: gw.log });
      sendError(kctx, err, openaiErrorBody(err));
    }
  };
}
