/**
 * The most a request can cost, before it is sent: prompt tokens estimated with the router's
 * tokenizer (o200k_base) times a safety margin, plus max_tokens (or the model's max output) for
 * each of `n` choices, priced at the highest of each target's prices. Picodollars, rounded up. Media
 * requests add the units their ingress expects at most (ctx.mediaEstimate: images, characters, seconds).
 *
 * `bound`: a chat request's text counted by its UTF-8 bytes instead (core/tokens.ts utf8Bytes), an estimate
 * at least as large as the exact one, for holds on budgets that have room for it (no tokenizer needed).
 */
import type { RequestContext, Target } from '../../core/context.js';
import { promptTokens as countPrompt, utf8Bytes } from '../../core/tokens.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { costUnits, mediaCostUnits, type Catalog } from '../catalog/index.js';
import { maxTokensOf, requestFeatures } from '../router/index.js';

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
  /** Counted by the byte bound: the exact count may be lower. */
  bound: boolean;
}

/** No estimate: a request with no budget to hold and no tokens-per-minute limit to take from. */
export const NO_ESTIMATE: Estimate = {
  promptTokens: 0,
  requestedOutput: 0,
  maxCostPusd: 0,
  unpriced: [],
  bound: false,
};

/** Whether estimate(..., bound = true) counts by bytes for this request (chat; other operations count exactly). */
export const boundable = (ctx: RequestContext): boolean =>
  ctx.operation === 'chat' && ctx.costEstimateUsd === undefined;

export function estimate(
  ctx: RequestContext,
  targets: Target[],
  catalog: Catalog,
  margin: number,
  bound = false,
): Estimate {
  // Passthrough and batches: the ingress knows the most it may cost (tokens are not countable).
  if (ctx.costEstimateUsd !== undefined) {
    const maxCostPusd = Math.ceil(ctx.costEstimateUsd * 1e12);
    return { promptTokens: 0, requestedOutput: 0, maxCostPusd, unpriced: [], bound: false };
  }
  const byBytes = bound && boundable(ctx);
  const f = byBytes
    ? {
        promptTokens: countPrompt(ctx.request as ChatCompletionRequest, utf8Bytes),
        maxTokens: maxTokensOf(ctx.request as ChatCompletionRequest),
      }
    : requestFeatures(ctx);
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
  return { promptTokens, requestedOutput: (f.maxTokens ?? 0) * n, maxCostPusd: max, unpriced, bound: byBytes };
}

/** Picodollars from a record's costUsd (the catalog computed it from integer units / 1e12). */
export const toPusd = (usd: number | undefined): number => Math.round((usd ?? 0) * 1e12);
