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
 * Not metered (no model call) and without failover: count_tokens is cheap and advisory.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { ChatContext } from '../context.js';
import type { Gateway } from '../gateway-types.js';
import { errors } from '../errors.js';
import { asGatewayError, runAuth } from '../pipeline.js';
import { clientClosed } from '../upstream.js';
import { readJson } from './body.js';
import { parseCountTokens } from './anthropic-parse.js';
import { anthropicErrorBody } from './anthropic-render.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
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
    const startedAt = performance.now();
    const given = kctx.get('x-request-id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    const controller = new AbortController();
    kctx.res.once('close', () => { if (!kctx.res.writableFinished) controller.abort(); });
    kctx.set('x-request-id', id);
    const log = gw.log.child({ reqId: id });
    try {
      const { body, canonical } = parseCountTokens(await readJson(kctx.req, limit));
      const ctx: ChatContext = {
        id, dialect: 'anthropic', headers: kctx.headers, time: Date.now(), startedAt, signal: controller.signal, log,
        targets: [], attempts: [], responseHeaders: {}, state: {},
        operation: 'chat', requestedModel: canonical.model, request: canonical, stream: false,
      };
      await runAuth(gw, ctx);
      const targets = await gw.hooks.route.promise(ctx.targets, ctx);
      if (!targets?.length) throw errors.modelNotFound(ctx.requestedModel);
      ctx.targets = targets;
      const target = (ctx.target = targets[0]);
      const adapter = gw.providers.get(target.provider);
      if (!adapter) throw errors.modelNotFound(`${target.provider}/${target.model}`);
      kctx.set({ 'x-switchyard-provider': target.provider, 'x-switchyard-model': target.model });
      if (adapter.native?.anthropicCountTokens) {
        kctx.body = await adapter.native.anthropicCountTokens({ ...body, model: target.model }, { target, signal: controller.signal, ctx });
      } else {
        kctx.set('x-switchyard-estimated', 'true');
        kctx.body = { input_tokens: estimateTokens(body) };
      }
    } catch (e) {
      const err = controller.signal.aborted ? clientClosed() : asGatewayError(e, { id, log });
      kctx.set(err.headers);
      kctx.status = err.status;
      kctx.body = anthropicErrorBody(err, id);
    }
  };
}
