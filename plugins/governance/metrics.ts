/**
 * Prometheus metrics (prom-client, one registry per gateway): requests, errors, latency histograms
 * (total, upstream, gateway overhead), time to first token, tokens, cost, cache hits and savings,
 * failovers, breaker states and budget remaining. Labels are metadata only (provider, model,
 * status, cache, key id / project for budgets): never content, never a key.
 */
import type { Registry } from 'prom-client';
import { loadPromClient } from '../../core/optional-deps.js';
import type { UsageRecord } from '../../core/usage.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface MetricsSources {
  /** Budgets and what remains of each (USD). */
  budgets(): Promise<Array<{ scope: string; id: string; period: string; remainingUsd: number; limitUsd: number }>>;
  /** Breaker state per target: 0 closed, 1 half-open, 2 open. */
  breakers(): Promise<Array<{ target: string; state: number }>>;
}

export class GovernanceMetrics {
  readonly registry: Registry;
  readonly #requests; readonly #errors; readonly #latency; readonly #upstream; readonly #overhead; readonly #ttft;
  readonly #tokens; readonly #cost; readonly #cacheHits; readonly #saved; readonly #failovers; readonly #refusals;

  constructor(sources: MetricsSources) {
    const { Counter, Gauge, Histogram, Registry } = loadPromClient();
    this.registry = new Registry();
    const registers = [this.registry];
    const l = ['provider', 'model'] as const;
    this.#requests = new Counter({ name: 'switchyard_requests_total', help: 'Requests by provider, model, HTTP status and cache status.', labelNames: [...l, 'status', 'cache', 'operation'], registers });
    this.#errors = new Counter({ name: 'switchyard_errors_total', help: 'Requests answered with an error (status >= 400), by error code.', labelNames: [...l, 'code'], registers });
    this.#latency = new Histogram({ name: 'switchyard_request_duration_seconds', help: 'Total request duration.', labelNames: [...l], buckets: SECONDS, registers });
    this.#upstream = new Histogram({ name: 'switchyard_upstream_duration_seconds', help: 'Time spent in upstream attempts (until the answer, or the first chunk of a stream).', labelNames: [...l], buckets: SECONDS, registers });
    this.#overhead = new Histogram({ name: 'switchyard_gateway_overhead_seconds', help: 'Gateway time outside upstream attempts (non-streamed requests).', labelNames: [...l], buckets: OVERHEAD, registers });
    this.#ttft = new Histogram({ name: 'switchyard_time_to_first_token_seconds', help: 'Streams: time to the first chunk.', labelNames: [...l], buckets: SECONDS, registers });
    this.#tokens = new Counter({ name: 'switchyard_tokens_total', help: 'Tokens by type (input, cached_input, output, reasoning).', labelNames: [...l, 'type'], registers });
    this.#cost = new Counter({ name: 'switchyard_cost_usd_total', help: 'Effective cost in USD (catalog prices).', labelNames: [...l], registers });
    this.#cacheHits = new Counter({ name: 'switchyard_cache_hits_total', help: 'Cache hits by kind.', labelNames: ['kind'], registers });
    this.#saved = new Counter({ name: 'switchyard_cache_saved_usd_total', help: 'USD that cache hits saved.', registers });
    this.#failovers = new Counter({ name: 'switchyard_failovers_total', help: 'Requests that needed more than one attempt.', labelNames: [...l], registers });
    this.#refusals = new Counter({ name: 'switchyard_governance_refusals_total', help: 'Requests refused by governance, by code.', labelNames: ['code'], registers });
    new Gauge({
      name: 'switchyard_budget_remaining_usd', help: 'USD left in each budget for its current period.', labelNames: ['scope', 'id', 'period'], registers,
      async collect() {
        this.reset();
        for (const b of await sources.budgets()) this.set({ scope: b.scope, id: b.id, period: b.period }, b.remainingUsd);
      },
    });
    new Gauge({
      name: 'switchyard_breaker_state', help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open.', labelNames: ['target'], registers,
      async collect() {
        this.reset();
        for (const b of await sources.breakers()) this.set({ target: b.target }, b.state);
      },
    });
  }

  observe(r: UsageRecord, costSavedUsd: number): void {
    const labels = { provider: r.provider ?? '-', model: r.model ?? '-' };
    this.#requests.inc({ ...labels, status: String(r.status), cache: r.cache ?? 'none', operation: r.operation });
    if (r.status >= 400) {
      this.#errors.inc({ ...labels, code: r.errorCode ?? String(r.status) });
      if (r.errorCode === 'insufficient_quota' || r.errorCode === 'rate_limit_exceeded' || r.errorCode === 'concurrency_limit_exceeded' || r.errorCode === 'model_not_allowed') {
        this.#refusals.inc({ code: r.errorCode });
      }
    }
    this.#latency.observe(labels, r.latencyMs / 1000);
    const upstream = upstreamMs(r);
    if (r.attempts > 0) this.#upstream.observe(labels, upstream / 1000);
    if (!r.stream && r.attempts > 0) this.#overhead.observe(labels, Math.max(0, r.latencyMs - upstream) / 1000);
    if (r.ttftMs !== undefined) this.#ttft.observe(labels, r.ttftMs / 1000);
    const cached = r.cachedTokens;
    if (r.promptTokens) this.#tokens.inc({ ...labels, type: 'input' }, r.promptTokens - cached);
    if (cached) this.#tokens.inc({ ...labels, type: 'cached_input' }, cached);
    if (r.completionTokens) this.#tokens.inc({ ...labels, type: 'output' }, r.completionTokens - r.reasoningTokens);
    if (r.reasoningTokens) this.#tokens.inc({ ...labels, type: 'reasoning' }, r.reasoningTokens);
    if (r.costUsd) this.#cost.inc(labels, r.costUsd);
    if (r.cache === 'hit' || r.cache === 'semantic-hit') this.#cacheHits.inc({ kind: r.cache });
    if (costSavedUsd) this.#saved.inc(costSavedUsd);
    if (r.attempts > 1) this.#failovers.inc(labels);
  }
}

/** Time in upstream attempts: the sum of non-cancelled attempt latencies. */
export function upstreamMs(r: UsageRecord): number {
  let ms = 0;
  for (const a of r.attemptLog ?? []) if (!a.cancelled) ms += a.latencyMs;
  return ms;
}
