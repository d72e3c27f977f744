/**
 * Bounds for state keyed by client-influenced values. A client picks the model name, and
 * `provider/<any name>` routes to an OpenAI-compatible provider, so every label and every map keyed
 * by a target would otherwise grow with each new name (3,000 names: +60 MB never freed; metrics
 * series without end). Maps and sets forget their oldest entries past a cap; metric labels past a
 * cap fall into one OTHER value.
 */

/** Targets (provider/model) tracked per in-memory map: seen targets, latency, breaker caches, meter totals. */
export const MAX_TRACKED_TARGETS = 1000;
/** Distinct provider/model pairs that get their own metric labels; later ones are labelled OTHER. */
export const MAX_METRIC_MODELS = 200;
/** Distinct values of other client- or upstream-chosen metric labels (error codes). */
export const MAX_METRIC_VALUES = 100;
export const OTHER = 'other';

/** A Set that forgets its oldest member once it holds `max`. */
export class BoundedSet<T> extends Set<T> {
  constructor(readonly max: number) {
    super();
  }

  override add(value: T): this {
    if (this.size >= this.max && !this.has(value)) this.delete(this.values().next().value as T);
    return super.add(value);
  }
}

/** A Map that forgets its oldest entry once it holds `max`. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

/** The first `max` distinct values keep their own label; any later new value shares OTHER. */
export class CappedLabel {
  readonly #known = new Set<string>();
  constructor(readonly max: number) {}

  of(value: string): string {
    if (this.#known.has(value)) return value;
    if (this.#known.size >= this.max) return OTHER;
    this.#known.add(value);
    return value;
  }
}
