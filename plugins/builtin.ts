/** The built-in plugins that the config's top-level sections switch on, in the order they apply. */
import type { ResolvedConfig } from '../core/config-types.js';
import { ConfigError } from '../core/config.js';
import type { Plugin } from '../core/plugin.js';
import { staticKeys } from './auth/static-keys.js';
import { exactCache } from './cache/exact-cache.js';
import { Catalog } from './catalog/catalog.js';
import { modelCatalog } from './catalog/index.js';
import { retryFailover } from './failover/retry-failover.js';
import { governance } from './governance/index.js';
import { usageMeter } from './meter/usage-meter.js';
import { LatencyTracker } from './router/latency.js';
import { modelRouter } from './router/model-router.js';

/** Client keys from SWITCHYARD_API_KEYS (comma-separated) when the config has no `auth` section. */
export function keysFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.SWITCHYARD_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
}

export function builtinPlugins(config: ResolvedConfig): Plugin[] {
  const list: Plugin[] = [];
  if (config.auth) list.push(staticKeys({ keys: config.auth.keys }));
  else if (config.auth === undefined) {
    const keys = keysFromEnv(process.env);
    if (keys.length) list.push(staticKeys({ keys }));
  }
  // One catalog and one latency tracker shared by routing (cheapest/fastest), failover and metering.
  const catalog = new Catalog(config.catalog || {});
  const latency = new LatencyTracker();
  if (config.catalog !== false) list.push(modelCatalog(catalog));
  list.push(modelRouter(config.routing ?? {}, { catalog, latency }));
  if (config.failover !== false) list.push(retryFailover(config.failover ?? {}, { catalog, latency }));
  if (config.cache) list.push(exactCache(config.cache));
  if (config.meter !== false) list.push(usageMeter(config.meter ?? {}));
  if (config.governance) {
    // The governance section keeps budgets, limits and keys in this process. With a shared store the
    // team clearly runs several instances, where that would silently multiply every limit.
    if (typeof (config.store as { quota?: unknown } | undefined)?.quota === 'function') {
      throw new ConfigError('governance', 'is set together with a shared (Redis) store, but this section keeps budgets, rate limits and keys per instance',
        'For several instances use `plugins: sharedGovernance({ ... }, { store, ledger: postgresLedger({ url }) })` instead (docs/deploy.md).');
    }
    list.push(governance(config.governance, { catalog }));
  }
  return list;
}
