/**
 * The frame of every forwarded endpoint (passthrough, files, batches): request id and abort signal,
 * shutdown tracking, one meter record per request whatever happens, errors in the client's dialect.
 * `serve` builds the context, runs the pipeline (admitForward) and answers.
 */
import type Koa from 'koa';
import type { ForwardContext, Target } from '../context.js';
import { GatewayError, errors } from '../errors.js';
import type { ForwardMethod, ForwardRequest } from '../forward.js';
import type { Gateway } from '../gateway-types.js';
import { admitRequest } from '../pipeline.js';
import type { ProviderAdapter } from '../provider.js';
import { clientClosed, type UpstreamResponse } from '../upstream.js';
import { isModelName } from '../model-name.js';
import { authenticate, createContext, type RequestStart } from '../request-context.js';
import { type ErrorBody, RequestLife } from './request-life.js';

export type { ErrorBody } from './request-life.js';

export interface ForwardScope {
  base: RequestStart;
  /** Create the request's context (once): from then on the request is metered. */
  context(fields: {
    operation: ForwardContext['operation'];
    requestedModel: string;
    model?: string;
    stream?: boolean;
  }): ForwardContext;
  /** Answer with this dialect's error bodies from now on. */
  dialect(errorBody: ErrorBody): void;
}

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

export function forwardMethod(method: string): ForwardMethod {
  if (!METHODS.has(method))
    throw new GatewayError(405, `The method ${method} cannot be relayed.`, { code: 'method_not_allowed' });
  return method as ForwardMethod;
}

/**
 * Auth, route and admit with the one target a forwarded request has (its provider, and the body's
 * model or '*'): allow-lists, tag policies, breakers, rate limits and budget holds all apply.
 */
export async function admitForward(
  gw: Gateway,
  ctx: ForwardContext,
  provider: string,
  model: string | undefined,
): Promise<Target> {
  ctx.targets = [{ provider, model: model ?? '*' }];
  await admitRequest(gw, ctx);
  const target = ctx.targets.find((t) => t.provider === provider);
  if (!target) throw errors.modelNotFound(ctx.requestedModel);
  ctx.target = target;
  return target;
}

/**
 * Refuse a forwarded request before admission (an unknown provider; for passthrough also a path or method
 * that cannot be relayed) the way the pipeline refuses: authenticated first (a caller without a key gets 401
 * and learns nothing about the configuration), then metered with the refusal's status.
 */
export async function refuseForward(
  gw: Gateway,
  scope: ForwardScope,
  operation: ForwardContext['operation'],
  provider: string,
  refusal: unknown,
): Promise<never> {
  // The provider is the client's word here: it reaches the record only if it is a sane name.
  const ctx = scope.context({ operation, requestedModel: `${isModelName(provider) ? provider : '-'}/*` });
  await authenticate(gw, ctx);
  throw refusal;
}

/** One upstream call (forwarded requests are never retried: their bodies may be streams), recorded as the attempt. */
export async function forwardOnce(
  ctx: ForwardContext,
  adapter: ProviderAdapter,
  req: ForwardRequest,
): Promise<UpstreamResponse> {
  const target = ctx.target!;
  const started = performance.now();
  try {
    const res = await adapter.forward!(req);
    ctx.attempts.push({
      provider: target.provider,
      model: target.model,
      status: res.statusCode,
      latencyMs: performance.now() - started,
    });
    ctx.ttftMs = performance.now() - ctx.startedAt;
    return res;
  } catch (e) {
    const err = e instanceof GatewayError ? e : undefined;
    ctx.attempts.push({
      provider: target.provider,
      model: target.model,
      status: err?.status ?? 502,
      code: err?.code ?? null,
      latencyMs: performance.now() - started,
    });
    throw e;
  }
}

/** Wrap a forwarded endpoint's work: `serve` returns the status it answered with (metered). */
export function forwardHandler(
  gw: Gateway,
  errorBody: ErrorBody,
  serve: (kctx: Koa.Context, scope: ForwardScope) => Promise<{ status: number; error?: GatewayError }>,
): Koa.Middleware {
  return async (kctx) => {
    const life = new RequestLife<ForwardContext>(gw, kctx);
    const { base } = life;
    let body = errorBody;
    const scope: ForwardScope = {
      base,
      dialect: (b) => {
        body = b;
      },
      context(f) {
        const made = createContext(gw, 'forward', {
          ...base,
          dialect: 'passthrough',
          operation: f.operation,
          requestedModel: f.requestedModel,
          request: f.model ? { model: f.model } : {},
          stream: f.stream === true,
        });
        life.ctx = made;
        return made;
      },
    };
    try {
      const { status, error } = await serve(kctx, scope);
      if (life.cut) life.end(503, errors.shuttingDown());
      else if (base.signal.aborted) life.end(499, clientClosed());
      else life.end(status, error);
    } catch (e) {
      if (!kctx.req.readableEnded) kctx.req.resume(); // an unread upload: drain it so the connection can answer
      life.fail(e, body);
    } finally {
      await life.close();
    }
  };
}
