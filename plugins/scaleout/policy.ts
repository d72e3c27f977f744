/**
 * What each feature does while the shared Redis store is unreachable. `open`: serve as if the
 * feature allowed the request (counted and logged); `closed`: refuse with 503 store_unavailable.
 * Defaults: rate limits open, budgets closed (spend must not run unchecked), cache open (a miss),
 * keys open (the revocations already known stay enforced; new ones cannot arrive).
 */
import { GatewayError } from '../../core/errors.js';
import { PluginOptionsError } from '../../core/plugin.js';

export type FailPolicy = 'open' | 'closed';
export type Feature = 'rateLimits' | 'budgets' | 'cache' | 'keys' | 'breaker';

export interface OutagePolicy {
  rateLimits?: FailPolicy;
  budgets?: FailPolicy;
  cache?: FailPolicy;
  keys?: FailPolicy;
}

export const POLICY_DEFAULTS: Required<OutagePolicy> = {
  rateLimits: 'open',
  budgets: 'closed',
  cache: 'open',
  keys: 'open',
};

export function unavailable(feature: Feature, cause?: unknown): GatewayError {
  const what = {
    rateLimits: 'Rate limiting',
    budgets: 'Budget enforcement',
    cache: 'The response cache',
    keys: 'Key revocation checks',
    breaker: 'Circuit breaking',
  }[feature];
  return new GatewayError(
    503,
    `${what} is unavailable: the shared state store (Redis) cannot be reached, ` +
      'and the gateway is configured to fail closed. Retry shortly.',
    {
      type: 'server_error',
      code: 'store_unavailable',
      headers: { 'retry-after': '1' },
      cause,
    },
  );
}

export function checkPolicy(p: OutagePolicy | undefined): Required<OutagePolicy> {
  const out = { ...POLICY_DEFAULTS, ...(p ?? {}) };
  for (const [k, v] of Object.entries(out)) {
    if (!(k in POLICY_DEFAULTS)) {
      throw new PluginOptionsError(
        'redis',
        `onOutage.${k}`,
        `is not a known feature (known: ${Object.keys(POLICY_DEFAULTS).join(', ')})`,
      );
    }
    if (v !== 'open' && v !== 'closed')
      throw new PluginOptionsError('redis', `onOutage.${k}`, `must be "open" or "closed" (got ${JSON.stringify(v)})`);
  }
  return out;
}
