/**
 * GET /health/targets: every known target (configured in routing, or seen in traffic) with its
 * breaker state, consecutive failures, current-window counts and recent latency. Requires a client
 * key when auth is configured (it names providers and models).
 */
import type { RoutingConfig, TargetRef } from '../../core/config-types.js';
import type { Gateway } from '../../core/gateway-types.js';
import type { LatencyTracker } from '../router/index.js';
import type { Breaker } from './breaker.js';
import { MAX_TRACKED_TARGETS } from '../../core/bounded.js';

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

export function mountHealthRoute(
  gateway: Gateway,
  deps: { breaker?: Breaker; latency: LatencyTracker; seen: Set<string> },
): void {
  gateway.route({
    method: 'get',
    path: '/health/targets',
    auth: 'key',
    handler: async (kctx) => {
      // configured targets, then those seen in traffic (bounded sets, newest kept), at most MAX_TRACKED_TARGETS of them
      const configured = configuredTargets(gateway.config.routing);
      const all = new Set(configured);
      const seen = [...new Set([...deps.seen, ...deps.latency.keys()])].filter((k) => !all.has(k));
      for (const k of seen.slice(-MAX_TRACKED_TARGETS)) all.add(k);
      const keys = [...all].sort();
      const targets = await Promise.all(
        keys.map(async (target) => {
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
        }),
      );
      kctx.body = { breaker: deps.breaker ? { ...deps.breaker.o } : false, targets };
    },
  });
}
