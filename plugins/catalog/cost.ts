/**
 * Cost of one request from its token usage and a catalog entry's prices (USD per 1M tokens).
 *
 *   uncached input = prompt - cached - cache writes      at `input`
 *   cached input                                         at `cachedInput` (default `input`)
 *   cache writes                                         at `cacheWrite`  (default `input`)
 *   output = completion - reasoning                      at `output`
 *   reasoning                                            at `reasoning`   (default `output`)
 *
 * Arithmetic is exact: prices are turned into integer micro-dollars per 1M tokens, multiplied by
 * integer token counts and summed as integers; the one division (by 1e12) gives the double nearest
 * to the exact decimal amount. The effective cost applies the provider's discount and credit fee.
 */
import type { Prices, ResolvedEntry } from './catalog.js';

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface Cost {
  /** Effective cost: negotiated prices, discount and credit fee applied. */
  costUsd: number;
  /** At list prices. */
  listCostUsd: number;
}

const micro = (usdPerMillion: number | undefined): number => Math.round((usdPerMillion ?? 0) * 1e6);

/** Integer amount in 1e-12 USD (micro-dollars per million tokens x tokens). */
export function costUnits(t: TokenCounts, p: Prices): number {
  const cached = Math.min(t.cachedTokens, t.promptTokens);
  const writes = Math.min(t.cacheWriteTokens, t.promptTokens - cached);
  const uncached = t.promptTokens - cached - writes;
  const input = micro(p.input);
  const output = micro(p.output ?? p.input);
  const reasoning = p.reasoning === undefined ? output : micro(p.reasoning);
  const reasoningTokens = Math.min(t.reasoningTokens, t.completionTokens);
  return uncached * input
    + cached * (p.cachedInput === undefined ? input : micro(p.cachedInput))
    + writes * (p.cacheWrite === undefined ? input : micro(p.cacheWrite))
    + (t.completionTokens - reasoningTokens) * output
    + reasoningTokens * reasoning;
}

export function computeCost(t: TokenCounts, entry: ResolvedEntry): Cost {
  const list = costUnits(t, entry.prices);
  const effective = entry.effectivePrices === entry.prices ? list : costUnits(t, entry.effectivePrices);
  return {
    listCostUsd: list / 1e12,
    costUsd: entry.factor === 1 ? effective / 1e12 : Math.round(effective * entry.factor) / 1e12,
  };
}

/** Expected cost of a request before it is sent (estimated prompt tokens, expected output). */
export function expectedCost(entry: ResolvedEntry, promptTokens: number, outputTokens: number): number {
  const p = entry.effectivePrices;
  return (promptTokens * (p.input ?? 0) + outputTokens * (p.output ?? p.input ?? 0)) * entry.factor;
}
