/**
 * `cheapest`: the targets that can serve this request, by expected cost. A target is dropped when
 * the catalog says it lacks a capability the request uses (tools, images, JSON output), when the
 * estimated prompt plus max_tokens exceeds its context window, or max_tokens its output limit.
 * Expected cost = estimated prompt tokens x input price + expected output x output price (effective
 * prices). Targets missing from the catalog come last (unknown cost). Open breakers are dropped
 * later by the failover plugin, so the cheapest healthy target goes first, the rest are fallbacks.
 */
import type { RequestContext, Target } from '../../../core/context.js';
import { errors } from '../../../core/errors.js';
import { expectedCost } from '../../catalog/index.js';
import type { CompiledModel, StrategyEnv } from './types.js';

export const DEFAULT_EXPECTED_OUTPUT = 256;

export function cheapest(m: CompiledModel, ctx: RequestContext, env: StrategyEnv): Target[] {
  const f = env.features(ctx);
  const out = f.maxTokens ?? m.config.expectedOutputTokens ?? DEFAULT_EXPECTED_OUTPUT;
  const scored: Array<{ t: Target; cost: number; i: number }> = [];
  m.targets.forEach((t, i) => {
    const e = env.catalog.lookup(t.provider, t.model);
    if (!e) return void scored.push({ t, cost: Infinity, i });
    const c = e.capabilities;
    if ((f.tools && !c.tools) || (f.images && !c.vision) || (f.json && !c.json)) return;
    if (e.contextWindow && f.promptTokens + (f.maxTokens ?? 0) > e.contextWindow) return;
    if (f.maxTokens !== undefined && e.maxOutputTokens && f.maxTokens > e.maxOutputTokens) return;
    scored.push({ t, cost: expectedCost(e, f.promptTokens, out), i });
  });
  if (scored.length === 0 && m.targets.length) {
    throw errors.invalidRequest(
      `No target of \`${m.name}\` can serve this request (capabilities it uses: ${
        [f.tools && 'tools', f.images && 'images', f.json && 'JSON output'].filter(Boolean).join(', ') || 'none'
      }; about ${f.promptTokens} prompt tokens${f.maxTokens ? ` + max_tokens ${f.maxTokens}` : ''}).`,
      'model',
    );
  }
  return scored.sort((a, b) => a.cost - b.cost || a.i - b.i).map((s) => s.t);
}
