/**
 * POST /v1/messages/count_tokens. Auth and routing run as for /v1/messages; then the first target
 * answers:
 * - a provider with `native.anthropicCountTokens` (the anthropic plugin) gets the client's body with
 *   the target's model and its answer is relayed;
 * - any other target gets an estimate, marked with `x-switchyard-estimated: true`. An estimate is
 *   given rather than a 400 because clients use this endpoint to budget context (coding agents call
 *   it routinely) and a close figure serves them better than a failure. The estimate: about 4
 *   characters per token over system, message text, tool inputs/results and tool definitions, 4 per
 *   message, and a flat 1,600 per image or document (Anthropic's figure for a ~1.2 MP image).
 * Governed and metered like any request: auth -> route -> admit (allow-lists, rate limits, budgets,
 * concurrency) run first, and every call ends in one meter record with operation `count_tokens`,
 * zero tokens and zero cost, which releases what admit held. No failover: it is cheap and advisory.
 * When a `transformRequest` tap rewrites the request (e.g. guardrails masking PII), the client's body
 * must not go upstream as is: the count is estimated instead (a tap that throws refuses the count).
 */
import type Koa from 'koa';
import type { ChatContext } from '../../core/context.js';
import type { Gateway } from '../../core/gateway-types.js';
import { errors } from '../../core/errors.js';
import { admitRequest } from '../../core/pipeline.js';
import { createContext } from '../../core/request-context.js';
import { readJson } from '../../core/http/body.js';
import { RequestLife } from '../../core/http/request-life.js';
import { parseCountTokens } from './parse.js';
import { anthropicErrorBody } from '../../core/http/anthropic-error.js';
import { safeHeaders } from '../../core/http/respond.js';

const PER_MEDIA = 1600;

/** A rough token count of a Messages body (see the file comment). */
export function estimateTokens(body: Record<string, unknown>): number {
  let chars = 0;
  let extra = 0;
  const walk = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const b = v as Record<string, unknown>;
      if (b.type === 'image' || b.type === 'document') {
        extra += PER_MEDIA;
        return;
      }
      for (const [k, x] of Object.entries(b)) {
        if (k === 'type' || k === 'cache_control' || k === 'signature' || k === 'id' || k === 'tool_use_id') continue;
        if (k === 'input' || k === 'input_schema') chars += JSON.stringify(x ?? {}).length;
        else walk(x);
      }
    }
  };
  walk(body.system);
  walk(body.messages);
  if (Array.isArray(body.tools)) chars += JSON.stringify(body.tools).length;
  const messages = Array.isArray(body.messages) ? body.messages.length : 0;
  return Math.max(1, Math.ceil(chars / 4) + extra + 4 * messages);
}

export function countTokensHandler(gw: Gateway): Koa.Middleware {
  const limit = gw.config.server.bodyLimit;
  return async (kctx) => {
    const life = new RequestLife<ChatContext>(gw, kctx);
    const { base } = life;
    const { signal } = base;
    try {
      const { body, canonical } = parseCountTokens(await readJson(kctx, limit));
      const ctx = createContext(gw, 'count_tokens', { ...base, dialect: 'anthropic', request: canonical });
      life.ctx = ctx;
      await admitRequest(gw, ctx);
      const target = (ctx.target = ctx.targets[0]);
      const adapter = gw.providers.get(target.provider);
      if (!adapter) throw errors.modelNotFound(`${target.provider}/${target.model}`);
      kctx.set(safeHeaders({ 'x-switchyard-provider': target.provider, 'x-switchyard-model': target.model }));
      const rewritten =
        gw.hooks.transformRequest.isUsed() && (await gw.hooks.transformRequest.promise(canonical, ctx)) !== canonical;
      let answer: Record<string, unknown>;
      if (adapter.native?.anthropicCountTokens && !rewritten) {
        answer = await adapter.native.anthropicCountTokens({ ...body, model: target.model }, { target, signal, ctx });
      } else {
        ctx.responseHeaders['x-switchyard-estimated'] = 'true';
        answer = { input_tokens: estimateTokens(body) };
      }
      kctx.set(safeHeaders(ctx.responseHeaders));
      kctx.body = answer;
      life.end(200);
    } catch (e) {
      life.fail(e, anthropicErrorBody);
    } finally {
      await life.close();
    }
  };
}
