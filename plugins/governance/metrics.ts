/**
 * Prometheus metrics (prom-client, one registry per gateway): requests, errors, latency histograms
 * (total, upstream, gateway overhead), time to first token, tokens, cost, cache hits and savings,
 * failovers, breaker states and budget remaining. Labels are metadata only (provider, model,
 * status, cache, key id / project for budgets): never content, never a key. Clients choose model
 * names (and upstreams error codes), so those labels are capped: past MAX_METRIC_MODELS distinct
 * provider/model pairs the model label is "other", past MAX_METRIC_VALUES codes the code is "other".
 */
import type { Registry } from 'prom-client';
import { loadPromClient } from '../../core/optional-deps.js';
import { CappedLabel, MAX_METRIC_MODELS, MAX_METRIC_VALUES, OTHER } from '../../core/bounded.js';
import type { UsageRecord } from '../../core/usage.js';
import { modelKey } from '../../core/target-key.js';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './metric-series.js';

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
  readonly #requests;
  readonly #errors;
  readonly #latency;
  readonly #upstream;
  readonly #overhead;
  readonly #ttft;
  readonly #tokens;
  readonly #cost;
  readonly #cacheHits;
  readonly #saved;
  readonly #failovers;
  readonly #refusals;
  readonly #guardrails;
  readonly #models = new CappedLabel(MAX_METRIC_MODELS);
  readonly #codes = new CappedLabel(MAX_METRIC_VALUES);
  /** The series of each provider/model label pair, made on first use (bounded by the model cap). */
  #targets = new Map<string, TargetSeries>();

  constructor(sources: MetricsSources) {
    const { Counter, Gauge, Registry } = loadPromClient();
    this.registry = new Registry();
    const registers = [this.registry];
    const l = ['provider', 'model'] as const;
    // The metrics written on every request: series looked up once per label set (metric-series.ts).
    const reg = this.registry;
    this.#requests = new SeriesCounter(
      'switchyard_requests_total',
      'Requests by provider, model, HTTP status and cache status.',
      reg,
    );
    this.#errors = new Counter({
      name: 'switchyard_errors_total',
      help: 'Requests answered with an error (status >= 400), by error code.',
      labelNames: [...l, 'code'],
      registers,
    });
    this.#latency = new SeriesHistogram('switchyard_request_duration_seconds', 'Total request duration.', reg, SECONDS);
    this.#upstream = new SeriesHistogram(
      'switchyard_upstream_duration_seconds',
      'Time spent in upstream attempts (until the answer, or the first chunk of a stream).',
      reg,
      SECONDS,
    );
    this.#overhead = new SeriesHistogram(
      'switchyard_gateway_overhead_seconds',
      'Gateway time outside upstream attempts (non-streamed requests).',
      reg,
      OVERHEAD,
    );
    this.#ttft = new SeriesHistogram(
      'switchyard_time_to_first_token_seconds',
      'Streams: time to the first chunk.',
      reg,
      SECONDS,
    );
    this.#tokens = new SeriesCounter(
      'switchyard_tokens_total',
      'Tokens by type (input, cached_input, output, reasoning).',
      reg,
    );
    this.#cost = new SeriesCounter('switchyard_cost_usd_total', 'Effective cost in USD (catalog prices).', reg);
    for (const m of [
      this.#requests,
      this.#latency,
      this.#upstream,
      this.#overhead,
      this.#ttft,
      this.#tokens,
      this.#cost,
    ])
      m.onReset(() => this.#targets.clear());
    this.#cacheHits = new Counter({
      name: 'switchyard_cache_hits_total',
      help: 'Cache hits by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#saved = new Counter({
      name: 'switchyard_cache_saved_usd_total',
      help: 'USD that cache hits saved.',
      registers,
    });
    this.#failovers = new Counter({
      name: 'switchyard_failovers_total',
      help: 'Requests that needed more than one attempt.',
      labelNames: [...l],
      registers,
    });
    this.#refusals = new Counter({
      name: 'switchyard_governance_refusals_total',
      help: 'Requests refused by governance, by code.',
      labelNames: ['code'],
      registers,
    });
    this.#guardrails = new Counter({
      name: 'switchyard_guardrail_verdicts_total',
      help: 'Guardrail rule hits by policy, rule id, action and phase (input/output).',
      labelNames: ['policy', 'rule', 'action', 'phase'],
      registers,
    });
    new Gauge({
      name: 'switchyard_budget_remaining_usd',
      help: 'USD left in each budget for its current period.',
      labelNames: ['scope', 'id', 'period'],
      registers,
      async collect() {
        this.reset();
        for (const b of await sources.budgets())
          this.set({ scope: b.scope, id: b.id, period: b.period }, b.remainingUsd);
      },
    });
    new Gauge({
      name: 'switchyard_breaker_state',
      help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open.',
      labelNames: ['target'],
      registers,
      async collect() {
        this.reset();
        for (const b of await sources.breakers()) this.set({ target: b.target }, b.state);
      },
    });
  }

  /**
   * One ended request. `priced` is where it was priced (a cache hit: the routed target) and its cost:
   * they replace the record's provider, model and costUsd (passed apart: no copy of the record).
   */
  observe(r: UsageRecord, priced: { provider?: string; model?: string; costUsd: number }, costSavedUsd: number): void {
    const t = this.#target(priced.provider ?? '-', priced.model ?? '-');
    const labels = t.labels;
    const rk = `${r.status}\u0000${r.cache ?? 'none'}\u0000${r.operation}`;
    let requests = t.requests.get(rk);
    if (!requests) {
      const rl = { ...labels, status: String(r.status), cache: r.cache ?? 'none', operation: r.operation };
      t.requests.set(rk, (requests = this.#requests.series(`${t.key}\u0000${rk}`, rl)));
    }
    requests.value++;
    if (r.status >= 400) {
      this.#errors.inc({ ...labels, code: this.#codes.of(r.errorCode ?? String(r.status)) });
      if (
        r.errorCode === 'insufficient_quota' ||
        r.errorCode === 'rate_limit_exceeded' ||
        r.errorCode === 'concurrency_limit_exceeded' ||
        r.errorCode === 'model_not_allowed'
      ) {
        this.#refusals.inc({ code: r.errorCode });
      }
    }
    this.#latency.observe((t.latency ??= this.#latency.series(t.key, labels)), r.latencyMs / 1000);
    const upstream = upstreamMs(r);
    if (r.attempts > 0) this.#upstream.observe((t.upstream ??= this.#upstream.series(t.key, labels)), upstream / 1000);
    if (!r.stream && r.attempts > 0) {
      const overhead = (t.overhead ??= this.#overhead.series(t.key, labels));
      this.#overhead.observe(overhead, Math.max(0, r.latencyMs - upstream) / 1000);
    }
    if (r.ttftMs !== undefined) this.#ttft.observe((t.ttft ??= this.#ttft.series(t.key, labels)), r.ttftMs / 1000);
    const cached = r.cachedTokens;
    if (r.promptTokens) this.#addTokens(t, 'input', r.promptTokens - cached);
    if (cached) this.#addTokens(t, 'cached_input', cached);
    if (r.completionTokens) this.#addTokens(t, 'output', r.completionTokens - r.reasoningTokens);
    if (r.reasoningTokens) this.#addTokens(t, 'reasoning', r.reasoningTokens);
    if (priced.costUsd) {
      if (priced.costUsd < 0) throw new Error('It is not possible to decrease a counter');
      (t.cost ??= this.#cost.series(t.key, labels)).value += priced.costUsd;
    }
    if (r.cache === 'hit' || r.cache === 'semantic-hit') this.#cacheHits.inc({ kind: r.cache });
    if (costSavedUsd) this.#saved.inc(costSavedUsd);
    if (r.attempts > 1) this.#failovers.inc(labels);
    for (const v of r.guardrails ?? [])
      this.#guardrails.inc({ policy: v.policy, rule: v.rule, action: v.action, phase: v.phase }, v.count);
  }

  /** The series of a provider/model pair (the model label capped: past the cap it is "other"). */
  #target(provider: string, model: string): TargetSeries {
    const key = modelKey(provider, model);
    const t = this.#targets.get(key);
    if (t) return t;
    // Past the cap the pair shares the "other" series and is not remembered itself (clients choose models).
    const label = this.#models.of(key) === OTHER ? OTHER : model;
    const labelKey = label === model ? key : modelKey(provider, label);
    let s = this.#targets.get(labelKey);
    if (!s) {
      s = { key: labelKey, labels: { provider, model: label }, requests: new Map(), tokens: {} };
      this.#targets.set(labelKey, s);
    }
    return s;
  }

  #addTokens(t: TargetSeries, type: TokenType, n: number): void {
    if (n < 0) throw new Error('It is not possible to decrease a counter');
    (t.tokens[type] ??= this.#tokens.series(`${t.key}\u0000${type}`, { ...t.labels, type })).value += n;
  }
}

type TokenType = 'input' | 'cached_input' | 'output' | 'reasoning';

/** The series of one provider/model label pair, each made on first use. */
interface TargetSeries {
  key: string;
  labels: { provider: string; model: string };
  /** By status, cache status and operation. */
  requests: Map<string, CounterSeries>;
  latency?: HistogramSeries;
  upstream?: HistogramSeries;
  overhead?: HistogramSeries;
  ttft?: HistogramSeries;
  tokens: Partial<Record<TokenType, CounterSeries>>;
  cost?: CounterSeries;
}

/** Time in upstream attempts: the sum of non-cancelled attempt latencies. */
export function upstreamMs(r: UsageRecord): number {
  let ms = 0;
  for (const a of r.attemptLog ?? []) if (!a.cancelled) ms += a.latencyMs;
  return ms;
}
