/**
 * The catalog plugin: prices every request into its meter record (costUsd, listCostUsd) and adds
 * the catalog's fields to GET /v1/models entries. Built in; `catalog: false` turns it off.
 */
import type { Plugin } from '../../core/plugin.js';
import { Catalog, PRICES_TAKEN_ON, type CatalogConfig } from './catalog.js';
import { computeCost } from './cost.js';

export { Catalog, type CatalogConfig } from './catalog.js';
export { computeCost, costUnits, expectedCost } from './cost.js';

export function modelCatalog(catalog: Catalog = new Catalog()): Plugin {
  return {
    name: 'model-catalog',
    apply(gateway) {
      // FIRST and synchronous: the record is priced before any other meter tap sees it.
      gateway.hooks.meter.tap({ name: 'model-catalog', stage: gateway.Stage.FIRST }, (record) => {
        if (!record.provider || !record.model) return;
        const entry = catalog.lookup(record.provider, record.model);
        if (record.cache === 'hit' || record.cache === 'semantic-hit') {
          record.costUsd = 0;
          record.listCostUsd = 0;
          // What the hit saved: the replayed answer's tokens (the cache plugin moved them to
          // cacheSaved*Tokens) at this target's effective prices.
          if (entry) {
            record.costSavedUsd = computeCost({
              promptTokens: record.cacheSavedPromptTokens ?? 0, completionTokens: record.cacheSavedCompletionTokens ?? 0,
              cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
            }, entry).costUsd;
          }
          return;
        }
        if (!entry) return;
        Object.assign(record, computeCost(record, entry));
      });
      gateway.hooks.modelListing.tap('model-catalog', (listing, ref) => {
        const e = ref.provider ? catalog.lookup(ref.provider, ref.model) : undefined;
        if (!e) return listing;
        const p = e.prices;
        return {
          ...listing,
          kind: e.kind,
          context_window: e.contextWindow,
          max_output_tokens: e.maxOutputTokens ?? null,
          pricing: {
            currency: 'USD', unit: '1M tokens', input: p.input, cached_input: p.cachedInput ?? null,
            cache_write: p.cacheWrite ?? null, output: p.output ?? null, reasoning: p.reasoning ?? null,
            ...(e.effectivePrices !== e.prices || e.factor !== 1
              ? { effective: { ...e.effectivePrices, factor: e.factor } } : {}),
            taken_on: PRICES_TAKEN_ON,
          },
          capabilities: e.capabilities,
        };
      });
    },
  };
}

export type { CatalogConfig as ModelCatalogOptions };
