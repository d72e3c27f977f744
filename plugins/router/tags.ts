/**
 * Data-residency and policy tags. A target's tags are its own (virtual-model target spec) plus
 * routing.tags["provider"] and routing.tags["provider/model"]. A principal requires tags through
 * routing.policies (by key id or project) or a `requireTags` field set by its auth plugin; a virtual
 * model may add its own. Routing, failover switches and shadowing only use targets carrying them all.
 */
import type { RoutingConfig } from '../../core/config-types.js';
import type { RequestContext, Target } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { targetKey } from '../../core/target-key.js';

/** ctx.state key holding the tags this request requires. */
export const REQUIRED_TAGS = 'routing.requireTags';

export { targetKey } from '../../core/target-key.js';

export function tagsOf(t: Target, routingTags: RoutingConfig['tags'] = {}): string[] {
  return [...(t.tags ?? []), ...(routingTags[t.provider] ?? []), ...(routingTags[targetKey(t)] ?? [])];
}

export function satisfies(t: Target, required: readonly string[], routingTags?: RoutingConfig['tags']): boolean {
  if (required.length === 0) return true;
  const have = tagsOf(t, routingTags);
  return required.every((tag) => have.includes(tag));
}

/** Tags the caller's key/project (and the auth plugin's principal.requireTags) require. */
export function principalTags(ctx: RequestContext, policies: RoutingConfig['policies'] = {}): string[] {
  const p = ctx.principal;
  if (!p) return [];
  const out = new Set<string>();
  for (const t of policies.keys?.[p.id]?.requireTags ?? []) out.add(t);
  if (p.project) for (const t of policies.projects?.[p.project]?.requireTags ?? []) out.add(t);
  if (Array.isArray(p.requireTags)) for (const t of p.requireTags) if (typeof t === 'string') out.add(t);
  return [...out];
}

export function requiredTagsOf(ctx: RequestContext): string[] {
  return (ctx.state[REQUIRED_TAGS] as string[] | undefined) ?? [];
}

export const noTargetForPolicy = (model: string, required: readonly string[]) =>
  new GatewayError(
    403,
    `No target of \`${model}\` satisfies the policy of this key (required tags: ${required.join(', ')}). ` +
      'The request was not sent anywhere.',
    {
      type: 'permission_error',
      code: 'no_target_for_policy',
      param: 'model',
    },
  );
