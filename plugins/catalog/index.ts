/**
 * The catalog plugin: prices every request into its meter record (costUsd, listCostUsd) and adds
 * the catalog's fields to GET /v1/models entries. Built in; `catalog: false` turns it off.
 */
import { PluginOptionsError, type Plugin } from '../../core/plugin.js';
import { Catalog, PRICES_TAKEN_ON, type CatalogConfig } from './catalog.js';
import { computeCost } from './cost.js';

export { Catalog, type CatalogConfig } from './catalog.js';
export { computeCost, costUnits, expectedCost } from './cost.js';
export { imagePrice, mediaCostUnits, type MediaPrices } from './media-cost.js';

/** Batch prices: the providers' batch APIs bill 50% of the list price. */
export const BATCH_FACTOR = 0.5;

export function modelCatalog(catalog: Catalog = new Catalog()): Plugin {
  if (!(catalog instanceof Catalog)) {
    throw new PluginOptionsError(
      'model-catalog',
      '(catalog)',
      'must be a Catalog',
      'Call modelCatalog(new Catalog({ models, providers }))',
    );
  }
  return {
    name: 'model-catalog',
    apply(gateway) {
      // FIRST and synchronous: the record is priced before any other meter tap sees it.
      gateway.hooks.meter.tap({ name: 'model-catalog', stage: gateway.Stage.FIRST }, (record) => {
        if (!record.provider || !record.model) return;
        if (record.costUsd !== undefined) return; // priced by its ingress (e.g. a passthrough estimate)
        const entry = catalog.lookup(record.provider, record.model);
        if (record.cache === 'hit' || record.cache === 'semantic-hit') {
          record.costUsd = 0;
          record.listCostUsd = 0;
          // What the hit saved: the replayed answer's tokens (the cache plugin moved them to
          // cacheSaved*Tokens) at this target's effective prices.
          if (entry) {
            record.costSavedUsd = computeCost(
              {
                promptTokens: record.cacheSavedPromptTokens ?? 0,
                completionTokens: record.cacheSavedCompletionTokens ?? 0,
                cachedTokens: 0,
                cacheWriteTokens: 0,
                reasoningTokens: 0,
              },
              entry,
            ).costUsd;
          }
          return;
        }
        if (!entry) return;
        const cost = computeCost(record, entry);
        // Batch APIs (OpenAI, Azure, Anthropic) bill half the list price. Set field by field: Object.assign
        // onto the record (~25 fields) turned it into a dictionary-mode object for every later tap (bench/).
        const factor = record.batch ? BATCH_FACTOR : 1;
        record.costUsd = cost.costUsd * factor;
        record.listCostUsd = cost.listCostUsd * factor;
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
            currency: 'USD',
            unit: '1M tokens',
            input: p.input,
            cached_input: p.cachedInput ?? null,
            cache_write: p.cacheWrite ?? null,
            output: p.output ?? null,
            reasoning: p.reasoning ?? null,
            ...(e.effectivePrices !== e.prices || e.factor !== 1
              ? { effective: { ...e.effectivePrices, factor: e.factor } }
              : {}),
            taken_on: PRICES_TAKEN_ON,
          },
          capabilities: e.capabilities,
        };
      });
    },
  };
}

export type { CatalogConfig as ModelCatalogOptions };

declare module '../../core/config-types.js' {
  interface SwitchyardConfig {
    /** Model catalog overrides, negotiated prices and discounts (cost in metering). Default on. */
    catalog?: CatalogConfig | false;
  }
}
