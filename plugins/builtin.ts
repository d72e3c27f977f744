/** The built-in plugins that the config's top-level sections switch on, in the order they apply. */
import type { ResolvedConfig } from '../core/config-types.js';
import type { Plugin } from '../core/plugin.js';
import { staticKeys } from './auth/static-keys.js';
import { cache } from './cache/index.js';
import { retryFailover } from './failover/retry-failover.js';
import { usageMeter } from './meter/usage-meter.js';
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
  list.push(modelRouter(config.routing ?? {}));
  if (config.failover !== false) list.push(retryFailover(config.failover ?? {}));
  if (config.cache) list.push(cache(config.cache));
  if (config.meter !== false) list.push(usageMeter(config.meter ?? {}));
  return list;
}
