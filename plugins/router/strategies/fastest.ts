/**
 * `fastest`: the target with the lowest recent latency (EWMA of time to first chunk for streams,
 * total time otherwise) first, the others as fallbacks in latency order. Exploration: a target
 * never measured, or not measured for `STALE_MS`, goes first; otherwise with probability `explore`
 * (default 0.1) a random other target goes first, so that a recovered target wins traffic back.
 */
import type { RequestContext, Target } from '../../../core/context.js';
import { targetKey } from '../tags.js';
import type { CompiledModel, StrategyEnv } from './types.js';

export const STALE_MS = 60_000;
export const DEFAULT_EXPLORE = 0.1;

export function fastest(m: CompiledModel, ctx: RequestContext, env: StrategyEnv): Target[] {
  const stream = ctx.operation === 'chat' && ctx.stream;
  const now = Date.now();
  const scored = m.targets.map((t, i) => {
    const s = env.latency.get(targetKey(t), stream);
    return { t, i, ms: s && now - s.lastAt < STALE_MS ? s.ewmaMs : undefined };
  });
  const unknown = scored.filter((s) => s.ms === undefined);
  const known = scored.filter((s) => s.ms !== undefined).sort((a, b) => a.ms! - b.ms! || a.i - b.i);
  if (unknown.length) return [...unknown, ...known].map((s) => s.t);
  const explore = m.config.explore ?? DEFAULT_EXPLORE;
  if (known.length > 1 && env.random() < explore) {
    const pick = 1 + Math.floor(env.random() * (known.length - 1));
    const [chosen] = known.splice(pick, 1);
    known.unshift(chosen);
  }
  return known.map((s) => s.t);
}
