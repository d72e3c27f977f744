/**
 * POST /v1/responses (OpenAI Responses API) for every provider. The body is validated, translated to
 * the canonical chat request and run through the normal pipeline (auth, route, cache, failover,
 * meter); adapters with native Responses support receive the client's body as is (responses-native).
 *
 * previous_response_id: needs a configured store (`store` in the gateway config; the default
 * in-process store does not count), else 400. With one, every completed response whose request did not
 * say `store: false` is kept for 24 h under its id, scoped to the caller (the principal's project, else
 * its id; 'anonymous' without auth); a follow-up replays the earlier input and output items as history
 * before its own input (`instructions` are not carried over, as with OpenAI). An unknown id, or one
 * stored by another project, answers 400 previous_response_not_found.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { ChatContext, Principal } from '../context.js';
import { GatewayError, errors } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import { asGatewayError, errorSummary, finishRequest, runAuth, runChat } from '../pipeline.js';
import type { ChatCompletionRequest } from '../types.js';
import { clientClosed } from '../upstream.js';
import { readJson } from './body.js';
import { openaiErrorBody } from './openai-dialect.js';
import { ResponsesRegistry, nativeAnswerOf } from './responses-native.js';
import { ResponsesStreamEncoder } from './responses-stream.js';
import { inputItems, newId, parseResponsesRequest, toChatRequest, toResponsesObject, type InputItem, type ResponseMeta } from './responses-translate.js';
import { startSse, writeSse } from './sse-writer.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const RESPONSES_TTL_MS = 24 * 3600 * 1000;

interface StoredResponse {
  items: InputItem[];
}

const storeKey = (principal: Principal | undefined, id: string) =>
  `responses:${principal?.project ? `p:${principal.project}` : principal ? `k:${principal.id}` : 'anonymous'}:${id}`;

function responseHeaders(ctx: ChatContext): Record<string, string> {
  const h: Record<string, string> = { 'x-request-id': ctx.id };
  if (ctx.target) {
    h['x-switchyard-provider'] = ctx.target.provider;
    h['x-switchyard-model'] = ctx.target.model;
  }
  if (ctx.attempts.length) h['x-switchyard-attempts'] = String(ctx.attempts.length);
  if (ctx.cache) h['x-switchyard-cache'] = ctx.cache;
  return Object.assign(h, ctx.responseHeaders);
}

export function responsesHandler(gw: Gateway): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  const storeConfigured = gw.config.store !== undefined;
  return async (kctx) => {
    const startedAt = performance.now();
    const given = kctx.get('x-request-id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    const controller = new AbortController();
    const signal = controller.signal;
    const res = kctx.res;
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    kctx.set('x-request-id', id);
    let ctx: ChatContext | undefined;
    try {
      const body = parseResponsesRequest(await readJson(kctx.req, limit));
      ctx = {
        id, dialect: 'responses', headers: kctx.headers, time: Date.now(), startedAt, signal,
        log: gw.log.child({ reqId: id }), targets: [], attempts: [], responseHeaders: {}, state: {},
        operation: 'chat', requestedModel: body.model, request: undefined as unknown as ChatCompletionRequest, stream: body.stream === true,
      };
      let history: InputItem[] = [];
      const prev = body.previous_response_id;
      if (prev) {
        if (!storeConfigured) {
          throw errors.invalidRequest('previous_response_id needs a response store on this gateway (set `store` in its config); send the whole conversation in `input` instead.', 'previous_response_id');
        }
        await runAuth(gw, ctx); // the stored response is scoped to the caller
        const stored = await gw.store.get<StoredResponse>(storeKey(ctx.principal, prev));
        if (!stored) {
          throw new GatewayError(400, `Previous response with id '${prev}' not found.`, { code: 'previous_response_not_found', param: 'previous_response_id' });
        }
        history = stored.items;
      }
      const { request, builtinTools, dropped } = toChatRequest(body, history);
      ctx.request = request;
      if (dropped.length) ctx.responseHeaders['x-switchyard-dropped-params'] = dropped.join(',');
      const nativeBody: Record<string, unknown> = { ...body };
      if (prev) {
        delete nativeBody.previous_response_id;
        nativeBody.input = [...history, ...inputItems(body.input)];
      }
      const keep = storeConfigured && body.store !== false;
      const meta: ResponseMeta = { id: newId('resp'), createdAt: Math.floor(ctx.time / 1000), model: body.model, req: body, stored: keep };
      const save = async (final: Record<string, unknown> | undefined) => {
        if (!keep || !final || typeof final.id !== 'string' || final.status === 'failed') return;
        const items = [...history, ...inputItems(body.input), ...((final.output ?? []) as InputItem[])];
        try {
          await gw.store.set(storeKey(ctx!.principal, final.id), { items } satisfies StoredResponse, RESPONSES_TTL_MS);
        } catch (err) {
          ctx!.log.warn({ err: errorSummary(err) }, 'storing the response failed');
        }
      };

      const outcome = await runChat({ ...gw, providers: new ResponsesRegistry(gw.providers, { body: nativeBody, builtinTools }) }, ctx);
      if (outcome.kind === 'response') {
        // A cached answer is rendered afresh (new id), even when it first came from a native upstream.
        const cached = ctx.cache === 'hit' || ctx.cache === 'semantic-hit';
        const native = cached ? undefined : nativeAnswerOf(outcome.response);
        const answer = native ?? toResponsesObject(outcome.response, meta);
        await save(answer);
        kctx.set(responseHeaders(ctx));
        kctx.type = 'application/json';
        kctx.body = JSON.stringify(answer);
        finishRequest(gw, ctx, 200);
        return;
      }
      kctx.respond = false;
      const enc = new ResponsesStreamEncoder(ctx, meta);
      startSse(res, responseHeaders(ctx));
      let error: GatewayError | undefined;
      try {
        for await (const chunk of outcome.chunks) {
          const text = enc.chunk(chunk);
          if (text && !(await writeSse(res, text, signal))) break;
        }
        if (!signal.aborted) {
          const tail = enc.end();
          await save(enc.final);
          res.end(tail);
        }
      } catch (e) {
        error = asGatewayError(e, ctx);
        ctx.log.warn({ status: error.status, code: error.code, provider: ctx.target?.provider }, 'stream failed after it started');
        if (!signal.aborted) res.end(enc.error(error));
      }
      if (signal.aborted) {
        error = clientClosed();
        res.destroy();
      }
      finishRequest(gw, ctx, error ? error.status : 200, error);
    } catch (e) {
      const err = signal.aborted ? clientClosed() : asGatewayError(e, ctx ?? { id, log: gw.log });
      if (ctx) kctx.set(responseHeaders(ctx));
      kctx.set(err.headers);
      kctx.status = err.status;
      kctx.body = openaiErrorBody(err);
      if (ctx) finishRequest(gw, ctx, err.status, err);
    }
  };
}
