/**
 * Scale-out: several gateway instances sharing state. `redis({ url })` is the gateway Store (cache
 * entries, breaker state) and, through `sharedGovernance`, the governance QuotaStore (budgets,
 * rate limits, concurrency) and the key revocation list; `postgresLedger({ url })` is the shared
 * usage ledger. See docs/deploy.md.
 *
 *   const store = redis({ url: process.env.REDIS_URL });
 *   export default defineConfig({
 *     store,
 *     plugins: sharedGovernance(
 *       { adminKey, keys, budgets },
 *       { store, ledger: postgresLedger({ url: process.env.DATABASE_URL }) },
 *     ),
 *   });
 */
import { definePlugin, PluginOptionsError, type Plugin } from '../../core/plugin.js';
import { presentedKey } from '../../core/credentials.js';
import type { Catalog } from '../catalog/index.js';
import {
  governance,
  metricsAccess,
  metricsAuth,
  type GovernanceConfig,
  type GovernancePlugin,
  type Ledger,
} from '../governance/index.js';
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
 * True for a store that several instances share governance state through (the Redis store): the config's
 * `governance` section then becomes shared governance (see sharedGovernance).
 */
export function isSharedStore(store: unknown): store is RedisStore {
  const s = store as Partial<RedisStore> | undefined;
  return (
    typeof s?.quota === 'function' && typeof s.watchKeys === 'function' && typeof s.guardRevocations === 'function'
  );
}

/**
 * The governance plugin wired for several instances: budgets, limits and concurrency in Redis
 * (budget counters Redis lost are rebuilt from the ledger), revocations published through Redis,
 * the ledger's state in /ready and /metrics. The `governance` section does this by itself when the config's
 * `store` is shared and a top-level `ledger` is set; calling it in `plugins` is deprecated (CHANGELOG.md).
 */
export function sharedGovernance(options: GovernanceConfig, deps: SharedGovernanceDeps): [Plugin, GovernancePlugin] {
  const given = (deps ?? {}) as Partial<SharedGovernanceDeps>;
  if (typeof given.store?.quota !== 'function') {
    throw new PluginOptionsError(
      'scaleout',
      'store',
      "must be the redis() store (also set as the config's `store`)",
      'Call sharedGovernance(options, { store: redis({ url }), ledger: postgresLedger({ url }) })',
    );
  }
  if (typeof given.ledger?.append !== 'function') {
    throw new PluginOptionsError(
      'scaleout',
      'ledger',
      'must be a usage ledger such as postgresLedger({ url })',
      'Call sharedGovernance(options, { store: redis({ url }), ledger: postgresLedger({ url }) })',
    );
  }
  const { store, ledger } = deps;
  const gov = governance(options, {
    quota: store.quota((keys) => ledger.budgetSpend(keys)),
    ledger: store.watchKeys(ledger),
    // Keys created or edited on another instance reach this one from the shared ledger.
    keyRefreshMs: deps.keyRefreshMs ?? 1000,
    ...(deps.catalog ? { catalog: deps.catalog } : {}),
  });
  const metrics = metricsAccess(options && typeof options === 'object' ? options : {});
  // Applied before governance: its /metrics route runs first and appends the store and ledger series.
  const health = definePlugin<Record<string, never>>({
    name: 'scaleout',
    apply(gateway) {
      store.guardRevocations(gateway);
      if (ledger instanceof PostgresLedger) {
        ledger.log = gateway.log.child({ component: 'postgres-ledger' });
        gateway.readiness.add('ledger', () => ledger.readiness());
      }
      if (!metrics) return;
      gateway.route({
        method: 'get',
        path: metrics.path,
        ...metricsAuth(metrics),
        handler: async (kctx, _ctx, next) => {
          await next();
          // Governance's route answered (same access rule): only a 200 text answer gets the series appended.
          if (kctx.status !== 200 || typeof kctx.body !== 'string') return;
          let extra = await store.metrics.metrics();
          if (ledger instanceof PostgresLedger) extra += await ledger.metrics.metrics();
          kctx.body = `${kctx.body}${extra}`;
        },
      });
    },
  })({});
  return [health, gov];
}
