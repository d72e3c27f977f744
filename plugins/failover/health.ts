/**
 * GET /health/targets: every known target (configured in routing, or seen in traffic) with its
 * breaker state, consecutive failures, current-window counts and recent latency. Requires a client
 * key when auth is configured (it names providers and models).
 */
import type { RoutingConfig, TargetRef } from '../../core/config-types.js';
import type { ModelsContext } from '../../core/context.js';
import { openaiErrorBody } from '../../core/http/openai-dialect.js';
import type { Gateway } from '../../core/gateway-types.js';
import { asGatewayError, runAuth } from '../../core/pipeline.js';
import type { LatencyTracker } from '../router/latency.js';
import type { Breaker } from './breaker.js';

export function configuredTargets(routing: RoutingConfig = {}): string[] {
  const out = new Set<string>();
  const add = (refs?: TargetRef[]) => refs?.forEach((r) => out.add(typeof r === 'string' ? r : r.target));
  for (const spec of Object.values(routing.aliases ?? {})) add(Array.isArray(spec) ? spec : [spec]);
  for (const vm of Object.values(routing.models ?? {})) {
    add(vm.targets);
    add(vm.tiers?.strong);
    add(vm.tiers?.cheap);
    vm.rules?.forEach((r) => add(r.targets));
    if (vm.shadow) add([vm.shadow.target]);
  }
  return [...out];
}

export function mountHealthRoute(gateway: Gateway, deps: { breaker?: Breaker; latency: LatencyTracker; seen: Set<string> }): void {
  gateway.router.get('/health/targets', async (kctx) => {
    try {
      if (gateway.hooks.auth.isUsed()) {
        const ctx = {
          id: 'health', operation: 'models', dialect: 'openai', headers: kctx.headers, time: Date.now(), startedAt: performance.now(),
          signal: new AbortController().signal, log: gateway.log, requestedModel: '', request: {}, stream: false,
          targets: [], attempts: [], responseHeaders: {}, state: {},
        } as ModelsContext;
        await runAuth(gateway, ctx);
      }
      const keys = [...new Set([...configuredTargets(gateway.config.routing), ...deps.seen, ...deps.latency.keys()])].sort();
      const targets = await Promise.all(keys.map(async (target) => {
        const provider = target.slice(0, target.indexOf('/'));
        const b = deps.breaker ? await deps.breaker.snapshot(target) : undefined;
        return {
          target,
          enabled: gateway.providers.has(provider),
          state: b?.state ?? 'closed',
          ...(b ? { consecutiveFailures: b.consecutiveFailures, window: b.window } : {}),
          ...(b?.openUntil ? { openUntil: new Date(b.openUntil).toISOString(), reason: b.reason } : {}),
          latency: deps.latency.snapshot(target) ?? null,
        };
      }));
      kctx.body = { breaker: deps.breaker ? { ...deps.breaker.o } : false, targets };
    } catch (e) {
      const err = asGatewayError(e, { id: 'health', log: gateway.log });
      kctx.status = err.status;
      kctx.body = openaiErrorBody(err);
    }
  });
}
