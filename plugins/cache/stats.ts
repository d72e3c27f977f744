/** Hit rate and savings of the cache, overall and per tenant (in process memory, since start). */
import type { GuardReason } from './guard.js';

export interface CacheTotals {
  lookups: number;
  hits: number;
  semanticHits: number;
  misses: number;
  bypasses: number;
  refreshes: number;
  stores: number;
  /** Upstream tokens not spent thanks to hits (the usage of the answers replayed). */
  savedPromptTokens: number;
  savedCompletionTokens: number;
  savedTokens: number;
  /** Semantic candidates above the threshold that the guard refused, by check. */
  guardRejections: Record<GuardReason, number>;
  /** Tokens spent by a provider embedder. */
  embeddingTokens: number;
  embeddingErrors: number;
  /** Verdicts of the verifier (when configured): yes (served), no, failed (error or timeout: a miss). */
  verifier: { yes: number; no: number; failed: number };
}

export interface CacheTotalsView extends CacheTotals {
  /** (hits + semanticHits) / lookups, 0 when no lookup. */
  hitRate: number;
}

const empty = (): CacheTotals => ({
  lookups: 0,
  hits: 0,
  semanticHits: 0,
  misses: 0,
  bypasses: 0,
  refreshes: 0,
  stores: 0,
  savedPromptTokens: 0,
  savedCompletionTokens: 0,
  savedTokens: 0,
  guardRejections: { numbers: 0, identifiers: 0, negation: 0, entities: 0, lexical: 0, relations: 0 },
  embeddingTokens: 0,
  embeddingErrors: 0,
  verifier: { yes: 0, no: 0, failed: 0 },
});

const MAX_TENANTS = 10_000;

export class CacheStats {
  readonly all = empty();
  readonly #tenants = new Map<string, CacheTotals>();

  /** Apply `f` to the global totals and to the tenant's. */
  add(tenant: string, f: (t: CacheTotals) => void): void {
    f(this.all);
    let t = this.#tenants.get(tenant);
    if (!t) {
      if (this.#tenants.size >= MAX_TENANTS) this.#tenants.delete(this.#tenants.keys().next().value!);
      this.#tenants.set(tenant, (t = empty()));
    }
    f(t);
  }

  static view(t: CacheTotals): CacheTotalsView {
    const served = t.hits + t.semanticHits;
    return {
      ...t,
      guardRejections: { ...t.guardRejections },
      verifier: { ...t.verifier },
      hitRate: t.lookups ? served / t.lookups : 0,
    };
  }

  tenant(tenant: string): CacheTotalsView {
    return CacheStats.view(this.#tenants.get(tenant) ?? empty());
  }

  tenants(): Record<string, CacheTotalsView> {
    return Object.fromEntries([...this.#tenants].map(([k, v]) => [k, CacheStats.view(v)]));
  }
}
