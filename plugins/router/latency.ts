/**
 * Recent latency per target (in-process): an EWMA of time to first chunk for streams and of total
 * time for the rest, fed by successful attempts. Used by the `fastest` strategy and /health/targets.
 * At most MAX_TRACKED_TARGETS targets are kept (the oldest is forgotten): clients choose model names.
 *
 * One stalled sample (a GC pause, a loaded machine) must not flip the `fastest` order: the loser is then
 * measured only when explored, so its outlier would stick. Once a target has WARM_SAMPLES samples, each
 * sample counts at most OUTLIER_FACTOR times the current average. A lasting slow-down still shows: the
 * average can grow by (1 + alpha * (OUTLIER_FACTOR - 1)), 1.9x with the defaults, per sample.
 */
import { BoundedMap, MAX_TRACKED_TARGETS } from '../../core/bounded.js';

export const WARM_SAMPLES = 3;
export const OUTLIER_FACTOR = 4;

export interface LatencyStat {
  ewmaMs: number;
  samples: number;
  lastAt: number;
}

export class LatencyTracker {
  readonly #stats = new BoundedMap<string, { ttft?: LatencyStat; total?: LatencyStat }>(MAX_TRACKED_TARGETS);

  constructor(readonly alpha = 0.3) {}

  observe(key: string, ms: number, stream: boolean): void {
    const entry = this.#stats.get(key) ?? {};
    this.#stats.set(key, entry);
    const kind = stream ? 'ttft' : 'total';
    const s = entry[kind];
    if (!s) entry[kind] = { ewmaMs: ms, samples: 1, lastAt: Date.now() };
    else {
      const sample = s.samples >= WARM_SAMPLES ? Math.min(ms, OUTLIER_FACTOR * s.ewmaMs) : ms;
      s.ewmaMs = this.alpha * sample + (1 - this.alpha) * s.ewmaMs;
      s.samples++;
      s.lastAt = Date.now();
    }
  }

  get(key: string, stream: boolean): LatencyStat | undefined {
    const e = this.#stats.get(key);
    return stream ? (e?.ttft ?? e?.total) : (e?.total ?? e?.ttft);
  }

  snapshot(key: string): { ttftMs?: number; totalMs?: number; samples: number } | undefined {
    const e = this.#stats.get(key);
    if (!e) return undefined;
    const r = (s?: LatencyStat) => (s ? Math.round(s.ewmaMs * 100) / 100 : undefined);
    return { ttftMs: r(e.ttft), totalMs: r(e.total), samples: (e.ttft?.samples ?? 0) + (e.total?.samples ?? 0) };
  }

  keys(): string[] {
    return [...this.#stats.keys()];
  }
}
