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
 * Billed units (images, characters, audio seconds, search units) are added at the entry's media prices (media-cost.ts).
 */
import type { BilledUnits } from '../../core/usage.js';
import type { Prices, ResolvedEntry } from './catalog.js';
import { mediaCostUnits } from './media-cost.js';

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Images, characters, audio seconds or search units of a media or rerank request (media-cost.ts). */
  units?: BilledUnits;
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
  return (
    uncached * input +
    cached * (p.cachedInput === undefined ? input : micro(p.cachedInput)) +
    writes * (p.cacheWrite === undefined ? input : micro(p.cacheWrite)) +
    (t.completionTokens - reasoningTokens) * output +
    reasoningTokens * reasoning
  );
}

/**
 * Input tokens that are images (GPT image models) are in the prompt tokens, priced there at `input`; this is
 * the difference to their own price, `media.perMillionImageInputTokens`.
 */
function imageInputUnits(t: TokenCounts, p: Prices, entry: ResolvedEntry): number {
  const images = Math.min(t.units?.imageInputTokens ?? 0, t.promptTokens);
  const price = entry.media?.perMillionImageInputTokens;
  return images && price !== undefined ? images * (micro(price) - micro(p.input)) : 0;
}

export function computeCost(t: TokenCounts, entry: ResolvedEntry): Cost {
  const media = mediaCostUnits(t.units, entry.media);
  const list = costUnits(t, entry.prices) + imageInputUnits(t, entry.prices, entry) + media;
  const effective =
    entry.effectivePrices === entry.prices
      ? list
      : costUnits(t, entry.effectivePrices) + imageInputUnits(t, entry.effectivePrices, entry) + media;
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
