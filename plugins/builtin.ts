/**
 * Wiring, not a plugin: the built-in plugins that the config's top-level sections switch on, in the order
 * they apply. The package root hands it to core's gateway factory (core knows no plugin).
 */
import type { ResolvedConfig } from '../core/config-types.js';
import { ConfigError } from '../core/config.js';
import type { Plugin } from '../core/plugin.js';
import { anthropicIngress } from './anthropic-ingress/index.js';
import { staticKeys } from './auth/index.js';
import { exactCache } from './cache/index.js';
import { Catalog, modelCatalog } from './catalog/index.js';
import { retryFailover } from './failover/index.js';
import { governance } from './governance/index.js';
import { guardrails } from './guardrails/index.js';
import { usageMeter } from './meter/index.js';
import { responsesIngress } from './responses-ingress/index.js';
import { LatencyTracker, modelRouter } from './router/index.js';
import { isSharedStore, sharedGovernance } from './scaleout/index.js';

/** Client keys from SWITCHYARD_API_KEYS (comma-separated) when the config has no `auth` section. */
export function keysFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.SWITCHYARD_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
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
    // One section for 1..N instances: a shared store (Redis) shares budgets, limits, concurrency and
    // revocations, and then the ledger must be shared too (budget counters are rebuilt from it).
    const store = config.store;
    if (isSharedStore(store)) {
      if (!config.ledger) {
        throw new ConfigError(
          'ledger',
          'is missing: the store is shared (Redis), so several instances keep one governance state, ' +
            'but each would keep its own usage ledger',
          'Add a shared ledger at the top level, ' +
            'e.g. `ledger: postgresLedger({ url: process.env.DATABASE_URL })` (docs/deploy.md).',
        );
      }
      list.push(...sharedGovernance(config.governance, { store, ledger: config.ledger, catalog }));
    } else {
      list.push(governance(config.governance, { catalog, ...(config.ledger ? { ledger: config.ledger } : {}) }));
    }
  } else if (config.ledger) {
    throw new ConfigError(
      'ledger',
      'is set but there is no governance section to record usage in it',
      'Add `governance: { ... }` (docs/governance.md).',
    );
  }
  if (config.guardrails) list.push(guardrails(config.guardrails));
  list.push(...builtinIngresses(config));
  return list;
}

/** The client APIs besides the core's OpenAI ones, on unless `ingresses: { <name>: false }`. */
const INGRESSES: Record<string, () => Plugin> = {
  anthropic: () => anthropicIngress(),
  responses: () => responsesIngress(),
};

function builtinIngresses(config: ResolvedConfig): Plugin[] {
  const switches: Record<string, boolean | undefined> = { ...config.ingresses };
  for (const name of Object.keys(switches)) {
    if (!Object.hasOwn(INGRESSES, name)) {
      throw new ConfigError(
        `ingresses.${name}`,
        'is not a built-in ingress',
        `Use ${Object.keys(INGRESSES).join(' or ')}; your own ingress plugins go in \`plugins\`.`,
      );
    }
  }
  return Object.entries(INGRESSES)
    .filter(([name]) => switches[name] !== false)
    .map(([, make]) => make());
}
