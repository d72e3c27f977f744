/**
 * /passthrough/{provider}/{path}: any endpoint of a configured provider that the gateway does not
 * model, relayed as is. The upstream URL is the provider's configured base URL + the checked path
 * (core/forward.ts), its credentials come from config, the client authenticates with the gateway's
 * key; the request goes auth -> route -> admit (allow-lists on the body's `model`, rate limits, a
 * budget hold of `passthrough.estimateUsd`) -> upstream -> meter (usage of OpenAI/Anthropic answers,
 * else the estimate). See docs/endpoints.md#passthrough.
 */
import type Koa from 'koa';
import { errors, GatewayError } from '../errors.js';
import { isModelName, modelNameError } from '../model-name.js';
import { type ForwardMethod, forwardPath } from '../forward.js';
import type { Gateway } from '../gateway-types.js';
import { anthropicErrorBody } from './anthropic-error.js';
import { clientBody, relayAnswer, upstreamHeaders } from './forward-relay.js';
import { admitForward, forwardHandler, forwardMethod, forwardOnce, refuseForward } from './forward-handler.js';
import { openaiErrorBody } from './openai-dialect.js';
import { responseHeaders } from './respond.js';

export const PASSTHROUGH_ROUTE = '/passthrough/:provider/*path';
const DEFAULT_MAX_BODY = 512 * 1024 * 1024;

/**
 * Files and batches hold one key's data: they are served only by /v1/files and /v1/batches, which
 * check ownership. Through passthrough any allowed key could read another's.
 */
const OWNED_PATH = /^(\/v1)?\/(files|batches|messages\/batches|uploads)(\/|$)/;

const ownedPath = () =>
  new GatewayError(403, 'Files and batches are per key: use /v1/files and /v1/batches, not passthrough.', {
    type: 'permission_error',
    code: 'passthrough_path_forbidden',
    param: 'path',
  });

const notEnabled = (provider: string) =>
  errors.invalidRequest(`Provider "${provider}" is not configured on this gateway, or has no passthrough.`, 'provider');

export function passthroughHandler(gw: Gateway): Koa.Middleware {
  const options = gw.config.passthrough || {};
  const estimateUsd = options.estimateUsd ?? 0;
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const mount = `${gw.config.server.prefix}/passthrough/`;
  return forwardHandler(gw, openaiErrorBody, async (kctx, scope) => {
    // The raw path (not decoded by the router): what is checked is what goes upstream.
    const raw = kctx.path.startsWith(mount)
      ? kctx.path.slice(mount.length)
      : kctx.path.slice(kctx.path.indexOf('/passthrough/') + 13);
    const slash = raw.indexOf('/');
    const provider = slash < 0 ? raw : raw.slice(0, slash);
    const adapter = gw.providers.get(provider);
    if (!adapter?.forward) return refuseForward(gw, scope, 'passthrough', provider, notEnabled(provider));
    if (adapter.native?.anthropicMessages) scope.dialect(anthropicErrorBody);
    let path: string;
    let method: ForwardMethod;
    try {
      path = forwardPath(raw.slice(slash < 0 ? raw.length : slash) + (kctx.querystring ? `?${kctx.querystring}` : ''));
      if (OWNED_PATH.test(path)) throw ownedPath();
      method = forwardMethod(kctx.method);
    } catch (e) {
      return refuseForward(gw, scope, 'passthrough', provider, e);
    }

    const body = await clientBody(kctx, gw.config.server.bodyLimit, maxBytes);
    const model = typeof body.json?.model === 'string' && body.json.model ? body.json.model : undefined;
    if (model !== undefined && !isModelName(model)) {
      // the model-name rule of every ingress: no megabytes or control characters in records and labels
      return refuseForward(gw, scope, 'passthrough', provider, modelNameError(model));
    }
    const ctx = scope.context({
      operation: 'passthrough',
      requestedModel: `${provider}/${model ?? '*'}`,
      model,
      stream: body.json?.stream === true,
    });
    ctx.costEstimateUsd = estimateUsd;
    await admitForward(gw, ctx, provider, model);

    const up = await forwardOnce(ctx, adapter, {
      method,
      path,
      headers: upstreamHeaders(kctx.headers, !body.json && body.data !== undefined),
      body: body.data,
      signal: scope.base.signal,
    });
    kctx.respond = false;
    const relayed = await relayAnswer(
      kctx.res,
      up,
      responseHeaders(ctx),
      scope.base.signal,
      provider,
      gw.upstream.timeoutMs,
    );
    if (relayed.usage) ctx.usage = relayed.usage;
    // No readable usage: the configured estimate is the cost (upstream errors cost nothing).
    else ctx.costUsd = up.statusCode < 400 ? estimateUsd : 0;
    if (!relayed.complete) kctx.res.destroy();
    return { status: up.statusCode };
  });
}
