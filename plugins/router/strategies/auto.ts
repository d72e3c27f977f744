/**
 * `auto` tiers: a classifier decides whether a request needs the strong tier or the cheap one; the
 * chosen tier's targets go first, the other tier's follow as fallbacks.
 *
 * Default heuristic (in order): the header `x-switchyard-tier: strong|cheap` wins; a request with
 * tools -> strong; one whose last user message looks like code -> strong; one whose estimated
 * prompt exceeds `longPromptTokens` (default 2000) -> strong; a JSON-schema response -> strong;
 * otherwise cheap. A config may pass its own classifier function `(features, ctx) => 'strong' |
 * 'cheap' | undefined` (undefined falls back to the heuristic).
 */
import type { RequestFeatures, Tier } from '../../../core/config-types.js';
import type { RequestContext, Target } from '../../../core/context.js';
import type { CompiledModel, StrategyEnv } from './types.js';

export const TIER_HEADER = 'x-switchyard-tier';
export const DEFAULT_LONG_PROMPT_TOKENS = 2000;

export function heuristicTier(
  f: RequestFeatures,
  ctx: RequestContext,
  longPromptTokens = DEFAULT_LONG_PROMPT_TOKENS,
): Tier {
  if (f.tools || f.code || f.promptTokens > longPromptTokens) return 'strong';
  if (ctx.operation === 'chat' && ctx.request.response_format?.type === 'json_schema') return 'strong';
  return 'cheap';
}

export function classifyTier(m: CompiledModel, ctx: RequestContext, env: StrategyEnv): Tier {
  const header = ctx.headers[TIER_HEADER];
  if (header === 'strong' || header === 'cheap') return header;
  const c = m.config.classifier;
  const f = env.features(ctx);
  if (typeof c === 'function') {
    const tier = c(f, ctx);
    if (tier === 'strong' || tier === 'cheap') return tier;
  }
  return heuristicTier(f, ctx, typeof c === 'object' ? c.longPromptTokens : undefined);
}

export function auto(m: CompiledModel, ctx: RequestContext, env: StrategyEnv): Target[] {
  const tier = classifyTier(m, ctx, env);
  ctx.responseHeaders[TIER_HEADER] = tier;
  const { strong, cheap } = m.tiers!;
  return tier === 'strong' ? [...strong, ...cheap] : [...cheap, ...strong];
}
