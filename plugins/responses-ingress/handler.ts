/**
 * POST /v1/responses (OpenAI Responses API) for every provider. The body is validated, translated to
 * the canonical chat request and run through the normal pipeline (auth, route, cache, failover,
 * meter); adapters with native Responses support receive the client's body as is (native.ts).
 *
 * previous_response_id: needs a configured store (`store` in the gateway config; the default
 * in-process store does not count), else 400. With one, every completed response whose request did not
 * say `store: false` is kept for 24 h under its id, scoped to the caller (the principal's project, else
 * its id; 'anonymous' without auth); a follow-up replays the earlier input and output items as history
 * before its own input (`instructions` are not carried over, as with OpenAI). An unknown id, or one
 * stored by another project, answers 400 previous_response_not_found.
 */
import type Koa from 'koa';
import type { ChatContext, Principal } from '../../core/context.js';
import { GatewayError, errors } from '../../core/errors.js';
import type { Gateway } from '../../core/gateway-types.js';
import { errorSummary, runChat } from '../../core/pipeline.js';
import { authenticate, createContext } from '../../core/request-context.js';
import { readJson } from '../../core/http/body.js';
import { openaiErrorBody } from '../../core/http/openai-dialect.js';
import { RequestLife } from '../../core/http/request-life.js';
import { responseHeaders, writeJson } from '../../core/http/respond.js';
import { answerStream } from '../../core/http/stream-answer.js';
import { responsesView, nativeAnswerOf } from './native.js';
import { ResponsesStreamEncoder } from './stream.js';
import {
  inputItems,
  newId,
  parseResponsesRequest,
  toChatRequest,
  toResponsesObject,
  type InputItem,
  type ResponseMeta,
} from './translate.js';

export const RESPONSES_TTL_MS = 24 * 3600 * 1000;

interface StoredResponse {
  items: InputItem[];
}

const storeKey = (principal: Principal | undefined, id: string) =>
  `responses:${principal?.project ? `p:${principal.project}` : principal ? `k:${principal.id}` : 'anonymous'}:${id}`;

export function responsesHandler(gw: Gateway): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  const storeConfigured = gw.config.store !== undefined;
  return async (kctx) => {
    const life = new RequestLife<ChatContext>(gw, kctx);
    const { base } = life;
    try {
      const body = parseResponsesRequest(await readJson(kctx, limit));
      // Without history first: the stored history is read only once the caller is known (below).
      let translated = toChatRequest(body, []);
      const ctx = createContext(gw, 'chat', {
        ...base,
        dialect: 'responses',
        request: translated.request,
        requestedModel: body.model,
        stream: body.stream === true,
      });
      life.ctx = ctx;
      let history: InputItem[] = [];
      const prev = body.previous_response_id;
      if (prev) {
        if (!storeConfigured) {
          throw errors.invalidRequest(
            'previous_response_id needs a response store on this gateway (set `store` in its config); ' +
              'send the whole conversation in `input` instead.',
            'previous_response_id',
          );
        }
        await authenticate(gw, ctx); // the stored response is scoped to the caller (the pipeline does not ask again)
        const stored = await gw.store.get<StoredResponse>(storeKey(ctx.principal, prev));
        if (!stored) {
          throw new GatewayError(400, `Previous response with id '${prev}' not found.`, {
            code: 'previous_response_not_found',
            param: 'previous_response_id',
          });
        }
        history = stored.items;
        translated = toChatRequest(body, history);
        ctx.request = translated.request;
      }
      const { request, builtinTools, dropped } = translated;
      if (dropped.length) ctx.responseHeaders['x-switchyard-dropped-params'] = dropped.join(',');
      const nativeBody: Record<string, unknown> = { ...body };
      if (prev) {
        delete nativeBody.previous_response_id;
        nativeBody.input = [...history, ...inputItems(body.input)];
      }
      const keep = storeConfigured && body.store !== false;
      const meta: ResponseMeta = {
        id: newId('resp'),
        createdAt: Math.floor(ctx.time / 1000),
        model: body.model,
        req: body,
        stored: keep,
      };
      const save = async (final: Record<string, unknown> | undefined) => {
        if (!keep || !final || typeof final.id !== 'string' || final.status === 'failed') return;
        const items = [...history, ...inputItems(body.input), ...((final.output ?? []) as InputItem[])];
        try {
          await gw.store.set(storeKey(ctx.principal, final.id), { items } satisfies StoredResponse, RESPONSES_TTL_MS);
        } catch (err) {
          ctx.log.warn({ err: errorSummary(err) }, 'storing the response failed');
        }
      };

      const plan = { body: nativeBody, builtinTools, canonical: request };
      const outcome = await runChat({ ...gw, providers: responsesView(gw.providers, plan, gw.hooks) }, ctx);
      if (outcome.kind === 'response') {
        // A cached answer is rendered afresh (new id), even when it first came from a native upstream.
        const cached = ctx.cache === 'hit' || ctx.cache === 'semantic-hit';
        const native = cached ? undefined : nativeAnswerOf(outcome.response);
        const answer = native ?? toResponsesObject(outcome.response, meta);
        await save(answer);
        writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(answer));
        life.end(200);
        return;
      }
      const enc = new ResponsesStreamEncoder(ctx, meta);
      await answerStream(life, ctx, outcome, enc, () => save(enc.final));
    } catch (e) {
      life.fail(e, openaiErrorBody);
    } finally {
      await life.close();
    }
  };
}
