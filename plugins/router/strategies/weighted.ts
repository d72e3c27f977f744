/**
 * `weighted`: one target drawn by weight (percentages by convention: 90/10 for a canary), the rest
 * as fallbacks by weight. `sticky: 'user'` keeps an end-user (the request's `user` field, else the
 * key) on the same target; `sticky: 'key'` keeps a key there: the draw is a hash of that id and
 * the model name instead of a random number, so the split still follows the weights across users.
 */
import type { RequestContext } from '../../../core/context.js';
import type { CompiledModel, StrategyEnv, WeightedTarget } from './types.js';

/** FNV-1a 32-bit, mapped to [0, 1). */
export function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix32) so that similar ids spread evenly
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

export function stickyId(m: CompiledModel, ctx: RequestContext): string | undefined {
  const u = (ctx.request as { user?: unknown }).user;
  const user = typeof u === 'string' && u ? u : undefined;
  if (m.config.sticky === 'user') return user ?? ctx.principal?.id;
  if (m.config.sticky === 'key') return ctx.principal?.id ?? user;
  return undefined;
}

export function pickWeighted(targets: WeightedTarget[], u: number): WeightedTarget[] {
  const total = targets.reduce((s, t) => s + (t.weight ?? 0), 0);
  let x = u * total;
  let chosen = targets.findIndex((t) => (x -= t.weight ?? 0) < 0);
  if (chosen < 0) chosen = targets.findIndex((t) => (t.weight ?? 0) > 0);
  const rest = targets.filter((_, i) => i !== chosen).sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0));
  return [targets[chosen], ...rest];
}

export function weighted(m: CompiledModel, ctx: RequestContext, env: StrategyEnv) {
  const id = stickyId(m, ctx);
  return pickWeighted(m.targets, id === undefined ? env.random() : unitHash(`${id}\u0000${m.name}`));
}
