/**
 * Koa handlers for the model endpoints. They build the request context, run the pipeline and render
 * the outcome (JSON or SSE) in the ingress dialect, and always emit the meter record at the end.
 */
import type Koa from 'koa';
import type { ChatContext, EmbeddingsContext } from '../context.js';
import type { Gateway } from '../gateway-types.js';
import { rawJson } from '../chunks.js';
import { runChat, runEmbeddings } from '../pipeline.js';
import { createContext } from '../request-context.js';
import { readJson } from './body.js';
import type { Dialect } from './dialect.js';
import { markDirect } from './direct.js';
import { openaiErrorBody, parseEmbeddings } from './openai-dialect.js';
import { RequestLife } from './request-life.js';
import { responseHeaders, writeJson } from './respond.js';
import { answerStream } from './stream-answer.js';

export function chatHandler(gw: Gateway, dialect: Dialect): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  const errorBody = dialect.errorBody.bind(dialect);
  return markDirect(async (kctx) => {
    const life = new RequestLife<ChatContext>(gw, kctx);
    try {
      const request = dialect.parseChat(await readJson(kctx, limit));
      const { id, headers, time, startedAt, abortSource } = life.base;
      // Named fields, not a spread of the RequestStart (a class instance: the spread took the slow path).
      const init = { id, headers, time, startedAt, abortSource, dialect: dialect.name, request };
      const ctx = createContext(gw, 'chat', init);
      life.ctx = ctx;
      const outcome = await runChat(gw, ctx);
      if (outcome.kind === 'stream') return await answerStream(life, ctx, outcome, dialect.streamEncoder(ctx));
      const rendered = dialect.renderChat(outcome.response, ctx) as object;
      writeJson(kctx, 200, responseHeaders(ctx), rawJson(rendered) ?? JSON.stringify(rendered));
      life.end(200);
    } catch (e) {
      life.fail(e, errorBody);
    } finally {
      const closing = life.close();
      if (closing) await closing;
    }
  });
}

export function embeddingsHandler(gw: Gateway): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  return markDirect(async (kctx) => {
    const life = new RequestLife<EmbeddingsContext>(gw, kctx);
    try {
      const request = parseEmbeddings(await readJson(kctx, limit));
      const { id, headers, time, startedAt, abortSource } = life.base;
      const ctx = createContext(gw, 'embeddings', { id, headers, time, startedAt, abortSource, request });
      life.ctx = ctx;
      const response = await runEmbeddings(gw, ctx);
      writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(response));
      life.end(200);
    } catch (e) {
      life.fail(e, openaiErrorBody);
    } finally {
      const closing = life.close();
      if (closing) await closing;
    }
  });
}
