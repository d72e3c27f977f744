/**
 * Failover: classifies each failed attempt (see classify.ts), retries the same target with
 * exponential backoff and jitter (Retry-After honoured up to maxBackoffMs), moves to the next target,
 * or switches context-too-long / content-policy errors to configured fallbacks. Keeps a circuit
 * breaker per target (breaker.ts) and drops targets whose breaker is open at routing time, so a
 * dead provider costs no latency. Sets the attempt policy (timeouts, deadline, hedging) and serves
 * GET /health/targets.
 */
import { BoundedSet, MAX_TRACKED_TARGETS } from '../../core/bounded.js';
import type { FailoverConfig } from '../../core/config-types.js';
import type { Target } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { FailoverDecision } from '../../core/hooks.js';
import { definePlugin } from '../../core/plugin.js';
import type { Catalog } from '../catalog/index.js';
import { failoverSchema } from '../../core/config-routing.js';
import { LatencyTracker, requiredTagsOf, satisfies, targetKey } from '../router/index.js';
import { Breaker } from './breaker.js';
import { classify } from './classify.js';
import { mountHealthRoute } from './health.js';

export type RetryFailoverOptions = FailoverConfig;

export interface FailoverDeps {
  catalog?: Catalog;
  latency?: LatencyTracker;
  /** Share one breaker with other plugins (default: a new one on the gateway store). */
  breaker?: Breaker;
}

export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const noHealthyTarget = (model: string, retryInMs: number) =>
  new GatewayError(
    503,
    `Every target of \`${model}\` is unavailable (circuit breakers open). ` +
      `Try again in ${Math.ceil(retryInMs / 1000)} s.`,
    {
      type: 'api_error',
      code: 'no_healthy_target',
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryInMs / 1000))) },
    },
  );

export function retryFailover(options: RetryFailoverOptions = {}, deps: FailoverDeps = {}) {
  return definePlugin<RetryFailoverOptions>({
    name: 'retry-failover',
    defaults: { retries: 1, backoffMs: 200, maxBackoffMs: 2000 },
    schema: failoverSchema.anyOf[1],
    apply(gateway, opts) {
      const retries = opts.retries!;
      const base = opts.backoffMs!;
      const cap = opts.maxBackoffMs!;
      const breaker =
        opts.breaker === false ? undefined : (deps.breaker ?? new Breaker(gateway.store, opts.breaker || {}));
      const latency = deps.latency ?? new LatencyTracker();
      const seen = new BoundedSet<string>(MAX_TRACKED_TARGETS); // targets come from client model names
      const routingTags = gateway.config.routing?.tags;

      gateway.hooks.route.tapPromise({ name: 'retry-failover', stage: gateway.Stage.LATE }, async (targets, ctx) => {
        const p = (ctx.policy ??= {});
        p.attemptTimeoutMs ??= opts.attemptTimeoutMs;
        p.firstChunkTimeoutMs ??= opts.firstChunkTimeoutMs;
        p.deadlineMs ??= opts.deadlineMs;
        p.hedgeDelayMs ??= opts.hedgeDelayMs;
        if (!breaker || targets.length === 0) return targets;
        if (targets.every((t) => breaker.knownClosed(targetKey(t)))) return targets;
        const allowed = await Promise.all(targets.map((t) => breaker.allow(targetKey(t))));
        const healthy = targets.filter((_, i) => allowed[i]);
        if (healthy.length === 0) throw noHealthyTarget(ctx.requestedModel, breaker.o.cooldownMs);
        return healthy;
      });

      gateway.hooks.attemptEnd.tap('retry-failover', (info) => {
        const key = targetKey(info.target);
        seen.add(key);
        if (info.cancelled) return;
        if (!breaker) return;
        if (info.ok) breaker.record(key, true);
        else if (info.error) {
          const c = classify(info.error);
          if (c.retryable) breaker.record(key, false, c.hard); // 4xx say nothing about the target's health
        }
      });

      gateway.hooks.failover.tapPromise(
        { name: 'retry-failover', stage: gateway.Stage.LATE },
        async (info): Promise<FailoverDecision> => {
          const { error, targetAttempts, hasNext, ctx, target, remainingMs } = info;
          if (ctx.isShadow) return { action: 'fail' };
          const c = classify(error);
          if (c.cls === 'context_length' && opts.onContextTooLong) {
            const to = largerTarget(opts.onContextTooLong, target, ctx.targets.slice(info.targetIndex + 1));
            return to && satisfies(to, requiredTagsOf(ctx), routingTags)
              ? { action: 'switch', target: to }
              : { action: 'fail' };
          }
          if (c.cls === 'content_policy' && opts.onContentPolicy) {
            const to = parse(opts.onContentPolicy);
            const ok = targetKey(to) !== targetKey(target) && satisfies(to, requiredTagsOf(ctx), routingTags);
            return ok ? { action: 'switch', target: to } : { action: 'fail' };
          }
          if (!c.retryable) return { action: 'fail' };
          if (breaker) await breaker.flush();
          const open = breaker ? (await breaker.state(targetKey(target))) !== 'closed' : false;
          if (c.hard || open) return hasNext ? { action: 'next' } : { action: 'fail' };
          if (targetAttempts <= retries) {
            const backoff = base * 2 ** (targetAttempts - 1);
            const jittered = backoff / 2 + Math.random() * (backoff / 2);
            const told = retryAfterMs(error.headers['retry-after']);
            if (told !== undefined && told > cap && hasNext) return { action: 'next' };
            const delayMs = Math.min(cap, told ?? jittered);
            if (delayMs >= remainingMs) return hasNext ? { action: 'next' } : { action: 'fail' };
            return { action: 'retry', delayMs };
          }
          return hasNext ? { action: 'next' } : { action: 'fail' };
        },
      );

      function largerTarget(rule: string, current: Target, rest: Target[]): Target | undefined {
        if (rule !== 'larger') return parse(rule);
        const window = (t: Target) => deps.catalog?.lookup(t.provider, t.model)?.contextWindow ?? 0;
        const have = window(current);
        return rest.filter((t) => window(t) > have).sort((a, b) => window(b) - window(a))[0];
      }

      mountHealthRoute(gateway, { breaker, latency, seen });
    },
  })(options);
}

function parse(spec: string): Target {
  const slash = spec.indexOf('/');
  return { provider: spec.slice(0, slash), model: spec.slice(slash + 1) };
}
