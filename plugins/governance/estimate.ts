/**
 * The most a request can cost, before it is sent: prompt tokens estimated with the router's
 * tokenizer (o200k_base) times a safety margin, plus max_tokens (or the model's max output) for
 * each of `n` choices, priced at the highest of each target's prices. Picodollars, rounded up. Media
 * requests add the units their ingress expects at most (ctx.mediaEstimate: images, characters, seconds).
 */
import type { RequestContext, Target } from '../../core/context.js';
import { costUnits, mediaCostUnits, type Catalog } from '../catalog/index.js';
import { requestFeatures } from '../router/index.js';

/** Output tokens assumed for a model the catalog has no limit for. */
const FALLBACK_MAX_OUTPUT = 16_384;

export interface Estimate {
  /** Prompt tokens with margin. */
  promptTokens: number;
  /** max_tokens x n as requested (0 when unset): what tokens-per-minute limits count. */
  requestedOutput: number;
  /** Most expensive target's maximum cost, picodollars. */
  maxCostPusd: number;
  /** A target the catalog cannot price (its cost is unknown, so it is not reserved). */
  unpriced: string[];
}

export function estimate(ctx: RequestContext, targets: Target[], catalog: Catalog, margin: number): Estimate {
  // Passthrough and batches: the ingress knows the most it may cost (tokens are not countable).
  if (ctx.costEstimateUsd !== undefined) {
    return { promptTokens: 0, requestedOutput: 0, maxCostPusd: Math.ceil(ctx.costEstimateUsd * 1e12), unpriced: [] };
  }
  const f = requestFeatures(ctx);
  const promptTokens = Math.ceil(f.promptTokens * margin) + 16;
  const n = ctx.operation === 'chat' ? Math.max(1, Number(ctx.request.n ?? 1)) : 1;
  let max = 0;
  const unpriced: string[] = [];
  for (const t of targets) {
    const e = catalog.lookup(t.provider, t.model);
    if (!e) {
      unpriced.push(`${t.provider}/${t.model}`);
      continue;
    }
    const p = e.effectivePrices;
    const out = ctx.operation === 'chat' ? (f.maxTokens ?? e.maxOutputTokens ?? FALLBACK_MAX_OUTPUT) * n : 0;
    const input = Math.max(p.input, p.cacheWrite ?? p.input);
    const output = Math.max(p.output ?? p.input, p.reasoning ?? p.output ?? p.input);
    const tokens = { promptTokens, completionTokens: out, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const units =
      costUnits(tokens, { input, output }) + ('mediaEstimate' in ctx ? mediaCostUnits(ctx.mediaEstimate, e.media) : 0);
    max = Math.max(max, Math.ceil(units * Math.max(1, e.factor)));
  }
  return { promptTokens, requestedOutput: (f.maxTokens ?? 0) * n, maxCostPusd: max, unpriced };
}

/** Picodollars from a record's costUsd (the catalog computed it from integer units / 1e12). */
export const toPusd = (usd: number | undefined): number => Math.round((usd ?? 0) * 1e12);
