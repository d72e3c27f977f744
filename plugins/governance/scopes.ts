/** Which budgets and limits apply to a request: its key, its project, its models, and global ones. */
import type { Principal, Target } from '../../core/context.js';
import type { VirtualKey } from './keys.js';
import type { BudgetSpec, GovernanceConfig, LimitSpec } from './types.js';

export type Scope = 'key' | 'project' | 'model' | 'global' | 'user';

export interface Scoped<T> {
  scope: Scope;
  id: string;
  spec: T;
}

/** Does a config model name match a target or the requested name? */
export function modelMatches(name: string, requested: string, target: Target): boolean {
  return name === requested || name === `${target.provider}/${target.model}` || name === target.model;
}

export function budgetsFor(
  cfg: GovernanceConfig,
  principal: Principal | undefined,
  key: VirtualKey | undefined,
  requested: string,
  targets: Target[],
): Scoped<BudgetSpec>[] {
  const out: Scoped<BudgetSpec>[] = [];
  if (principal) for (const spec of key?.budgets ?? []) out.push({ scope: 'key', id: principal.id, spec });
  const project = principal?.project;
  if (project)
    for (const spec of cfg.projects?.[project]?.budgets ?? []) out.push({ scope: 'project', id: project, spec });
  for (const [name, specs] of Object.entries(cfg.budgets?.models ?? {})) {
    if (targets.some((t) => modelMatches(name, requested, t)))
      for (const spec of specs) out.push({ scope: 'model', id: name, spec });
  }
  for (const spec of cfg.budgets?.global ?? []) out.push({ scope: 'global', id: 'global', spec });
  return out;
}

export function limitsFor(
  cfg: GovernanceConfig,
  principal: Principal | undefined,
  key: VirtualKey | undefined,
  requested: string,
  targets: Target[],
): Scoped<LimitSpec>[] {
  const out: Scoped<LimitSpec>[] = [];
  const own = key?.limits ?? (principal ? cfg.limits?.perKey : undefined);
  if (principal && own) out.push({ scope: 'key', id: principal.id, spec: own });
  const project = principal?.project;
  const p = project ? cfg.projects?.[project]?.limits : undefined;
  if (project && p) out.push({ scope: 'project', id: project, spec: p });
  for (const [name, spec] of Object.entries(cfg.limits?.models ?? {})) {
    if (targets.some((t) => modelMatches(name, requested, t))) out.push({ scope: 'model', id: name, spec });
  }
  return out;
}

/** Whether the config sets a tokens-per-minute limit anywhere (keys made through the admin API aside). */
export function configuresTokenLimits(cfg: GovernanceConfig): boolean {
  const specs: Array<LimitSpec | undefined> = [
    cfg.limits?.perKey,
    ...Object.values(cfg.limits?.models ?? {}),
    ...Object.values(cfg.projects ?? {}).map((p) => p.limits),
    ...(cfg.keys ?? []).flatMap((k) => [k.limits, k.endUsers?.limits]),
    cfg.endUsers?.limits,
  ];
  return specs.some((l) => l?.tokensPerMinute !== undefined);
}

/** "openai/*" allows a provider; "*" allows everything. */
function allowed(patterns: string[], name: string): boolean {
  return patterns.some((p) => p === '*' || p === name || (p.endsWith('/*') && name.startsWith(p.slice(0, -1))));
}

/**
 * Whether GET /v1/models shows a model to a caller with these model lists ("provider/model", its bare id, or an
 * alias).
 */
export function modelVisible(lists: string[][], ref: { id: string; provider?: string; model: string }): boolean {
  return lists.every((l) => allowed(l, ref.id) || (ref.provider !== undefined && allowed(l, ref.model)));
}

/**
 * Filter targets by the key's and the project's model lists. The requested name itself (an alias or
 * virtual model) admits its routed targets unless the client forced targets (header or models list).
 */
export function allowedTargets(lists: string[][], requested: string, targets: Target[], forced: boolean): Target[] {
  if (!lists.length) return targets;
  return targets.filter((t) =>
    lists.every(
      (l) => allowed(l, `${t.provider}/${t.model}`) || allowed(l, t.model) || (!forced && allowed(l, requested)),
    ),
  );
}
