/**
 * Scale-out: several gateway instances sharing state. `redis({ url })` is the gateway Store (cache
 * entries, breaker state) and, through `sharedGovernance`, the governance QuotaStore (budgets,
 * rate limits, concurrency) and the key revocation list; `postgresLedger({ url })` is the shared
 * usage ledger. See docs/deploy.md.
 *
 *   const store = redis({ url: process.env.REDIS_URL });
 *   export default defineConfig({
 *     store,
 *     plugins: sharedGovernance({ adminKey, keys, budgets }, { store, ledger: postgresLedger({ url: process.env.DATABASE_URL }) }),
 *   });
 */
import { definePlugin, type Plugin } from '../../core/plugin.js';
import { presentedKey } from '../auth/static-keys.js';
import { governance, type GovernancePlugin } from '../governance/index.js';
import type { Ledger } from '../governance/ledger/types.js';
import type { GovernanceConfig } from '../governance/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { PostgresLedger } from './postgres-ledger.js';
import type { RedisStore } from './redis-store.js';

export { redis, RedisStore, type RedisStoreOptions } from './redis-store.js';
export { RedisQuotaStore, type BudgetSeeder } from './redis-quota.js';
export { postgresLedger, PostgresLedger, type PostgresLedgerOptions } from './postgres-ledger.js';
export type { OutagePolicy, FailPolicy } from './policy.js';

export interface SharedGovernanceDeps {
  /** The Redis store (also set as the config's `store`). */
  store: RedisStore;
  /** The shared ledger, usually postgresLedger(...). */
  ledger: Ledger;
  catalog?: Catalog;
  /** How often runtime keys are reloaded from the shared ledger (ms). Default 1000. */
  keyRefreshMs?: number;
}

/**
 * The governance plugin wired for several instances: budgets, limits and concurrency in Redis
 * (budget counters Redis lost are rebuilt from the ledger), revocations published through Redis,
 * the ledger's state in /ready and /metrics. Use it in `plugins` instead of the `governance` section.
 */
export function sharedGovernance(options: GovernanceConfig, deps: SharedGovernanceDeps): [Plugin, GovernancePlugin] {
  const { store, ledger } = deps;
  const gov = governance(options, {
    quota: store.quota((keys) => ledger.budgetSpend(keys)),
    ledger: store.watchKeys(ledger),
    // Keys created or edited on another instance reach this one from the shared ledger.
    keyRefreshMs: deps.keyRefreshMs ?? 1000,
    ...(deps.catalog ? { catalog: deps.catalog } : {}),
  });
  const metricsPath = typeof options.metrics === 'object' ? options.metrics.path ?? '/metrics' : '/metrics';
  const requireAdmin = typeof options.metrics === 'object' && options.metrics.requireAdminKey;
  // Applied before governance: its /metrics route runs first and appends the store and ledger series.
  const health = definePlugin<Record<string, never>>({
    name: 'scaleout',
    apply(gateway) {
      store.guardRevocations(gateway);
      if (ledger instanceof PostgresLedger) {
        ledger.log = gateway.log.child({ component: 'postgres-ledger' });
        gateway.readiness.add('ledger', () => ledger.readiness());
      }
      if (options.metrics === false) return;
      const adminKey = options.adminKey ?? process.env.SWITCHYARD_ADMIN_KEY;
      gateway.router.get(metricsPath, async (kctx, next) => {
        await next();
        if (kctx.status !== 200 || typeof kctx.body !== 'string') return;
        if (requireAdmin && (!adminKey || presentedKey(kctx.headers) !== adminKey)) return;
        let extra = await store.metrics.metrics();
        if (ledger instanceof PostgresLedger) extra += await ledger.metrics.metrics();
        kctx.body = `${kctx.body}${extra}`;
      });
    },
  })({});
  return [health, gov];
}
