/**
 * `rules`: conditional routing on request metadata. The first rule whose `when` holds wins: every
 * listed header has one of the accepted values ("*" = present), the principal's id is in `keys`,
 * its project in `projects`, and every `params` field equals the request's. The rule routes to
 * its `targets` (in order) or as the model name in `use`. No rule matched: the model's `targets`.
 */
import type { RoutingRule } from '../../../core/config-types.js';
import type { RequestContext, Target } from '../../../core/context.js';
import type { CompiledModel, StrategyEnv } from './types.js';

export function matches(when: RoutingRule['when'], ctx: RequestContext): boolean {
  for (const [name, accepted] of Object.entries(when.headers ?? {})) {
    const raw = ctx.headers[name.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined) return false;
    const list = Array.isArray(accepted) ? accepted : [accepted];
    if (!list.includes('*') && !list.includes(value)) return false;
  }
  if (when.keys && !(ctx.principal && when.keys.includes(ctx.principal.id))) return false;
  if (when.projects && !(ctx.principal?.project && when.projects.includes(ctx.principal.project))) return false;
  const req = ctx.request as Record<string, unknown>;
  for (const [k, v] of Object.entries(when.params ?? {})) {
    if (req[k] !== v) return false;
  }
  return true;
}

export async function rules(m: CompiledModel, ctx: RequestContext, env: StrategyEnv, depth: number): Promise<Target[]> {
  for (const r of m.rules ?? []) {
    if (!matches(r.rule.when, ctx)) continue;
    ctx.responseHeaders['x-switchyard-rule'] = String(m.rules!.indexOf(r));
    if (r.targets) return r.targets;
    return env.resolve(r.rule.use!, ctx, depth + 1);
  }
  return m.targets;
}
