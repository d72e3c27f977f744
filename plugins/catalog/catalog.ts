/**
 * The model catalog: list prices (USD per 1M tokens), limits and capabilities of the built-in
 * providers' models (models.json), merged with the config's overrides and additions, plus
 * per-provider negotiated prices, discount and credit fee. Looked up by provider and model id.
 */
import { BoundedMap, MAX_TRACKED_TARGETS } from '../../core/bounded.js';
import { catalogSchema } from '../../core/config-routing.js';
import { checkOptions } from '../../core/plugin.js';
import { modelKey } from '../../core/target-key.js';
import type { MediaPrices } from './media-cost.js';
import data from './models.json' with { type: 'json' };

export interface Prices {
  /** Uncached input tokens. */
  input: number;
  /** Input tokens read from the provider's prompt cache. Default: input. */
  cachedInput?: number;
  /** Input tokens written to the provider's prompt cache. Default: input. */
  cacheWrite?: number;
  /** Output tokens (reasoning tokens included unless `reasoning` is set). */
  output?: number;
  /** Reasoning tokens, when billed differently from output. */
  reasoning?: number;
}

export interface Capabilities {
  tools: boolean;
  parallelTools: boolean;
  vision: boolean;
  json: boolean;
  reasoning: boolean;
  embeddings: boolean;
}

export interface CatalogEntry {
  provider: string;
  id: string;
  aliases?: string[];
  kind: ModelKind;
  prices: Prices;
  /** Per-image, per-character, per-minute or per-search prices of image, speech, transcription and rerank models. */
  media?: MediaPrices;
  contextWindow: number;
  maxOutputTokens?: number;
  capabilities: Capabilities;
  /** Whether the price was checked against the provider's published page (see docs/pricing.md). */
  verified?: boolean;
  note?: string;
}

/** What a model does: chat and embeddings models, the media models and rerankers (core/media.ts). */
export type ModelKind = 'chat' | 'embeddings' | 'images' | 'speech' | 'transcription' | 'moderation' | 'rerank';

export interface CatalogModelOverride {
  kind?: ModelKind;
  media?: MediaPrices;
  aliases?: string[];
  prices?: Partial<Prices>;
  contextWindow?: number;
  maxOutputTokens?: number;
  capabilities?: Partial<Capabilities>;
}

export interface ProviderPricing {
  /** Percentage off list price (e.g. 15 for a 15% committed-use discount). */
  discountPct?: number;
  /** Fee on top, in percent (e.g. 5 for a reseller's credit fee). Applied after the discount. */
  creditFeePct?: number;
  /** Negotiated prices per model id, replacing list prices for the effective cost. */
  prices?: Record<string, Partial<Prices>>;
  /** Use another catalog provider's entries for this provider's models (e.g. a second "openai" instance). */
  sameAs?: string;
}

export interface CatalogConfig {
  /** Override or add entries, keyed "provider/model". */
  models?: Record<string, CatalogModelOverride>;
  /** Negotiated pricing per provider name. */
  providers?: Record<string, ProviderPricing>;
}

export interface ResolvedEntry extends CatalogEntry {
  /** The prices used for the effective cost (negotiated, else list). */
  effectivePrices: Prices;
  /** Multiplier on the effective cost: (1 - discount) * (1 + credit fee). */
  factor: number;
}

const EMPTY_CAPS: Capabilities = {
  tools: false,
  parallelTools: false,
  vision: false,
  json: false,
  reasoning: false,
  embeddings: false,
};

export const PRICES_TAKEN_ON: string = data.pricesTakenOn;
export const PRICE_SOURCES = data.sources as Record<string, { url: string; verifiedFrom: string | null }>;

/** Region/inference-profile prefixes (Bedrock) that do not change the model. */
const PROFILE_PREFIX = /^(us|eu|apac|global|jp|au|ca)\./;

export class Catalog {
  readonly #byKey = new Map<string, CatalogEntry>();
  readonly #byModel = new Map<string, CatalogEntry>();
  readonly #providers: Record<string, ProviderPricing>;
  /** Lookups by target, bounded: targets come from client model names. */
  readonly #memo = new BoundedMap<string, ResolvedEntry | null>(4 * MAX_TRACKED_TARGETS);

  constructor(config: CatalogConfig = {}, entries: CatalogEntry[] = data.models as CatalogEntry[]) {
    checkOptions('model-catalog', catalogSchema.anyOf[1], config);
    this.#providers = config.providers ?? {};
    for (const e of entries) this.#add(e);
    for (const [key, o] of Object.entries(config.models ?? {})) {
      const slash = key.indexOf('/');
      const provider = key.slice(0, slash);
      const id = key.slice(slash + 1);
      const base = this.#byKey.get(key);
      this.#add({
        provider,
        id,
        kind: o.kind ?? base?.kind ?? 'chat',
        aliases: o.aliases ?? base?.aliases,
        prices: { ...(base?.prices ?? { input: 0 }), ...o.prices },
        media: o.media ? { ...base?.media, ...o.media } : base?.media,
        contextWindow: o.contextWindow ?? base?.contextWindow ?? 0,
        maxOutputTokens: o.maxOutputTokens ?? base?.maxOutputTokens,
        capabilities: { ...(base?.capabilities ?? EMPTY_CAPS), ...o.capabilities },
        verified: false,
        note: 'from the configuration',
      });
    }
  }

  #add(e: CatalogEntry): void {
    for (const id of [e.id, ...(e.aliases ?? [])]) {
      this.#byKey.set(`${e.provider}/${id}`, e);
      if (!this.#byModel.has(id)) this.#byModel.set(id, e);
    }
  }

  /** All entries (one per model, aliases not repeated). */
  entries(): CatalogEntry[] {
    return [...new Set(this.#byKey.values())];
  }

  /**
   * The entry for a target: exact "provider/model", then the provider's `sameAs`, then the model id
   * without a region prefix, then the same model id listed by any provider (list price).
   */
  lookup(provider: string, model: string): ResolvedEntry | undefined {
    const key = modelKey(provider, model);
    const memo = this.#memo.get(key);
    if (memo !== undefined) return memo ?? undefined;
    const bare = model.replace(PROFILE_PREFIX, '');
    const same = this.#providers[provider]?.sameAs;
    const base =
      this.#byKey.get(key) ??
      this.#byKey.get(`${provider}/${bare}`) ??
      (same ? this.#byKey.get(`${same}/${model}`) : undefined) ??
      this.#byModel.get(model) ??
      this.#byModel.get(bare);
    const resolved = base ? this.#resolve(provider, model, base) : null;
    this.#memo.set(key, resolved);
    return resolved ?? undefined;
  }

  #resolve(provider: string, model: string, e: CatalogEntry): ResolvedEntry {
    const p = this.#providers[provider] ?? {};
    const negotiated = p.prices?.[model] ?? p.prices?.[e.id];
    const factor = (1 - (p.discountPct ?? 0) / 100) * (1 + (p.creditFeePct ?? 0) / 100);
    return { ...e, effectivePrices: negotiated ? { ...e.prices, ...negotiated } : e.prices, factor };
  }
}
