/**
 * Counters and histograms for the metrics written on every request, whose series (one per label set)
 * the caller keeps. prom-client's own `inc`/`observe` (also through a `labels()` child, which only
 * binds the labels object) validate the labels, build a hash string from them and allocate on every
 * call (~2% of a governed request's CPU in bench/); here a series is made once, with its labels, and
 * an update is a few additions on it. Both register in a prom-client Registry beside its own
 * metrics, and `get()` returns what prom-client's Counter and Histogram return, so /metrics and
 * `getMetricsAsJSON()` read the same (test/governance/metric-series.test.ts compares them).
 *
 * Series are never dropped on their own: the caller bounds the label values (CappedLabel), as
 * prom-client's own metrics need too.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

abstract class SeriesMetric<S extends { labels: Labels }> {
  readonly aggregator = 'sum' as const;
  protected map = new Map<string, S>();
  #onReset: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of `key` (one per distinct label set), made with `labels` on first use. Keep it: updates are direct. */
  series(key: string, labels: Labels): S {
    let s = this.map.get(key);
    if (!s) this.map.set(key, (s = this.make(labels)));
    return s;
  }

  protected abstract make(labels: Labels): S;

  /** Call `fn` when the series are dropped (holders of series must drop theirs). */
  onReset(fn: () => void): void {
    this.#onReset.push(fn);
  }

  /** Drop every series (prom-client's `reset`, as `registry.resetMetrics()` calls it). */
  reset(): void {
    this.map.clear();
    for (const fn of this.#onReset) fn();
  }
}

export interface CounterSeries {
  labels: Labels;
  /** Add to it (never subtract: a counter). */
  value: number;
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  protected make(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  async get() {
    const values = [...this.map.values()].map((s) => ({ value: s.value, labels: s.labels }));
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }
}

export interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last counts those past every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    registry: Registry,
    readonly buckets: readonly number[],
  ) {
    super(name, help, registry);
  }

  protected make(labels: Labels): HistogramSeries {
    return { labels, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** Observe `value` in a series of this histogram (a non-finite value throws, as in prom-client). */
  observe(s: HistogramSeries, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  async get() {
    // The shape of prom-client's Histogram#get(): cumulative buckets, +Inf, _sum, _count per series.
    type Value = { value: number; metricName: string; exemplar?: null; labels: Record<string, string | number> };
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.map.values()) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i];
        values.push({ value: acc, metricName: bucket, exemplar: null, labels: { le: this.buckets[i], ...s.labels } });
      }
      values.push({ value: s.count, metricName: bucket, exemplar: null, labels: { le: '+Inf', ...s.labels } });
      values.push({ value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined, labels: { ...s.labels } });
      values.push({ value: s.count, metricName: `${this.name}_count`, exemplar: undefined, labels: { ...s.labels } });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
