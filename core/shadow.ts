/**
 * Shadow traffic: mirror a request to candidate targets (ctx.shadow, chosen by a routing plugin),
 * discard the answers and emit a separate meter record per mirror with `shadow: true`, so latency,
 * cost and errors of a candidate can be compared before migrating. Never awaited by the request;
 * never affects the client's answer; one attempt per mirror, detached from the client's connection
 * but bounded by the request's attempt timeout (default 60 s).
 */
import { attempt } from './attempt.js';
import type { ChatContext, Target } from './context.js';
import { GatewayError } from './errors.js';
import type { GatewayInternals } from './gateway-types.js';
import { errorSummary, requestFor, usageRecord } from './pipeline.js';
import { forkContext } from './request-context.js';

const DEFAULT_SHADOW_TIMEOUT_MS = 60_000;

export function dispatchShadow(gw: GatewayInternals, ctx: ChatContext): void {
  const targets = ctx.shadow ?? [];
  targets.forEach((target, i) => {
    void mirror(gw, ctx, target, i).catch((err) => ctx.log.warn({ err: errorSummary(err) }, 'shadow request failed'));
  });
}

async function mirror(gw: GatewayInternals, parent: ChatContext, target: Target, i: number): Promise<void> {
  const controller = new AbortController();
  const ctx = forkContext(parent, { idSuffix: `shadow${i ? i + 1 : ''}`, signal: controller.signal, target });
  ctx.policy = { attemptTimeoutMs: parent.policy?.attemptTimeoutMs ?? DEFAULT_SHADOW_TIMEOUT_MS };
  let status = 200;
  let error: GatewayError | undefined;
  try {
    if (!ctx.stream) {
      const response = await attempt(gw, ctx, (adapter, t, call) => adapter.chat(requestFor(ctx, t), call));
      ctx.usage = response.usage;
    } else {
      const request = {
        ...requestFor(ctx, target),
        stream_options: { ...ctx.request.stream_options, include_usage: true },
      };
      const iterable = await attempt(gw, ctx, (adapter, t, call) =>
        adapter.chatStream({ ...request, model: t.model }, call),
      );
      for await (const chunk of iterable) {
        if (ctx.ttftMs === undefined) ctx.ttftMs = performance.now() - ctx.startedAt;
        if (chunk.usage) ctx.usage = chunk.usage;
      }
    }
  } catch (e) {
    error = e instanceof GatewayError ? e : new GatewayError(500, 'shadow failed', { code: 'internal_error' });
    status = error.status;
  } finally {
    controller.abort();
  }
  if (gw.hooks.meter.isUsed()) {
    await gw.hooks.meter.promise(usageRecord(ctx, status, error), ctx);
  }
}
