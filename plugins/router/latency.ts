/**
 * Recent latency per target (in-process): an EWMA of time to first chunk for streams and of total
 * time for the rest, fed by successful attempts. Used by the `fastest` strategy and /health/targets.
 */
export interface LatencyStat {
  ewmaMs: number;
  samples: number;
  lastAt: number;
}

export class LatencyTracker {
  readonly #stats = new Map<string, { ttft?: LatencyStat; total?: LatencyStat }>();

  constructor(readonly alpha = 0.3) {}

  observe(key: string, ms: number, stream: boolean): void {
    const entry = this.#stats.get(key) ?? {};
    this.#stats.set(key, entry);
    const kind = stream ? 'ttft' : 'total';
    const s = entry[kind];
    if (!s) entry[kind] = { ewmaMs: ms, samples: 1, lastAt: Date.now() };
    else {
      s.ewmaMs = this.alpha * ms + (1 - this.alpha) * s.ewmaMs;
      s.samples++;
      s.lastAt = Date.now();
    }
  }

  get(key: string, stream: boolean): LatencyStat | undefined {
    const e = this.#stats.get(key);
    return stream ? e?.ttft ?? e?.total : e?.total ?? e?.ttft;
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
