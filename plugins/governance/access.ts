/**
 * Who may read the admin API and /metrics. Every comparison goes through core/secrets.ts (constant
 * time). The admin API needs the admin key; /metrics needs the admin key or the metrics token unless
 * it is explicitly public (it names key ids, projects and remaining budgets).
 */
import { GatewayError } from '../../core/errors.js';
import { secretEquals, sha256 } from '../../core/secrets.js';
import { presentedKey } from '../../core/credentials.js';
import type { RouteAuth } from '../../core/routes.js';
import type { GovernanceConfig } from './types.js';

type Headers = Record<string, string | string[] | undefined>;

/** The admin key check lives in the core (every admin route shares it); re-exported for existing imports. */
export { adminGuard } from '../../core/admin-auth.js';

export interface MetricsAccess {
  path: string;
  public: boolean;
  /** Throws 401/403 unless the request may read the metrics (a no-op when public). */
  check(headers: Headers): void;
}

/** Resolve `governance.metrics` (undefined when /metrics is off). */
export function metricsAccess(o: GovernanceConfig, env: NodeJS.ProcessEnv = process.env): MetricsAccess | undefined {
  if (o.metrics === false) return undefined;
  const m = typeof o.metrics === 'object' ? o.metrics : {};
  // `requireAdminKey: false` (the old opt-out) keeps meaning what it said: no key needed.
  const open = m.public ?? m.requireAdminKey === false;
  const secrets = [o.adminKey ?? env.SWITCHYARD_ADMIN_KEY, m.token ?? env.SWITCHYARD_METRICS_TOKEN]
    .filter((s): s is string => Boolean(s))
    .map(sha256);
  return {
    path: m.path ?? '/metrics',
    public: open,
    check(headers) {
      if (open) return;
      if (!secrets.length) {
        throw new GatewayError(
          403,
          'The metrics endpoint needs a credential and none is configured: set governance.adminKey, ' +
            'governance.metrics.token (or SWITCHYARD_METRICS_TOKEN), or open it with governance.metrics.public: true.',
          { code: 'metrics_disabled' },
        );
      }
      const key = presentedKey(headers);
      if (!key) {
        throw new GatewayError(
          401,
          'The metrics endpoint needs the admin key or the metrics token: "Authorization: Bearer <token>".',
          {
            type: 'authentication_error',
            code: 'missing_api_key',
          },
        );
      }
      // Every configured secret is compared (no early exit), so the time does not tell which one matched.
      let ok = false;
      for (const s of secrets) ok = secretEquals(key, s) || ok;
      if (!ok)
        throw new GatewayError(401, 'Incorrect admin key or metrics token provided.', {
          type: 'authentication_error',
          code: 'invalid_api_key',
        });
    },
  };
}

/** The route rule for /metrics: public when configured so, else the admin key or the metrics token. */
export function metricsAuth(access: MetricsAccess): RouteAuth {
  return access.public
    ? { auth: 'public', reason: 'governance.metrics.public: true (scraped without a credential)' }
    : { auth: 'custom', what: 'the admin key or the metrics token', guard: (kctx) => access.check(kctx.headers) };
}
