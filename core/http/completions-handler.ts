/**
 * POST /v1/completions (OpenAI's legacy text completions), plain and streamed, through the chat pipeline
 * (auth, route, admit, cache, failover, meter; operation 'chat', dialect 'completions'). Native
 * completions upstreams get the client's body (completions-native.ts); others the chat translation.
 */
import type Koa from 'koa';
import type { ChatContext } from '../context.js';
import type { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import { runChat } from '../pipeline.js';
import { sseData } from '../sse.js';
import { createContext } from '../request-context.js';
import type { ChatCompletionChunk } from '../types.js';
import { readJson } from './body.js';
import { completionsView, nativeCompletionOf, nativeEventOf } from './completions-native.js';
import { CompletionsStreamEncoder, parseCompletions, planCompletions, toCompletion } from './completions-translate.js';
import type { StreamEncoder } from './dialect.js';
import { openaiErrorBody } from './openai-dialect.js';
import { RequestLife } from './request-life.js';
import { responseHeaders, writeJson } from './respond.js';
import { answerStream } from './stream-answer.js';

const DONE = 'data: [DONE]\n\n';

/** The completions stream: native events as the upstream sent them, translated chunks re-encoded. */
class CompletionsSse implements StreamEncoder {
  readonly #enc = new CompletionsStreamEncoder();

  chunk(chunk: ChatCompletionChunk): string {
    const native = nativeEventOf(chunk);
    // Translated streams: chunks that carry no text, finish or usage (e.g. the role chunk) are left out.
    const empty = chunk.choices.every((c) => !c.delta.content && !c.finish_reason);
    if (native === undefined && !chunk.usage && empty) return '';
    return sseData(native ?? JSON.stringify(this.#enc.chunk(chunk)));
  }

  end(): string {
    return DONE;
  }

  error(err: GatewayError): string {
    return sseData(JSON.stringify(openaiErrorBody(err)));
  }
}

export function completionsHandler(gw: Gateway): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  return async (kctx) => {
    const life = new RequestLife<ChatContext>(gw, kctx);
    const { base } = life;
    try {
      const body = parseCompletions(await readJson(kctx, limit));
      const plan = planCompletions(body);
      // The cache keeps canonical answers, without what only a native upstream returns (logprobs, echo,
      // suffix, best_of, several prompts): such requests neither read nor write it.
      const headers = plan.nativeOnly.length ? { ...base.headers, 'cache-control': 'no-store' } : base.headers;
      const ctx = createContext(gw, 'chat', {
        ...base,
        headers,
        dialect: 'completions',
        request: plan.canonical,
        requestedModel: body.model,
        stream: body.stream === true,
      });
      life.ctx = ctx;
      const outcome = await runChat({ ...gw, providers: completionsView(gw.providers, plan, gw.hooks) }, ctx);
      if (outcome.kind === 'stream') return await answerStream(life, ctx, outcome, new CompletionsSse());
      const cached = ctx.cache === 'hit' || ctx.cache === 'semantic-hit';
      const answer = (!cached && nativeCompletionOf(outcome.response)) || toCompletion(outcome.response);
      writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(answer));
      life.end(200);
    } catch (e) {
      life.fail(e, openaiErrorBody);
    } finally {
      await life.close();
    }
  };
}
