/**
 * Admin routes the dashboard needs beyond the governance admin API, computed from it (the usage CSV
 * export, /admin/budgets, /admin/keys) so that scripts get the same answers with the admin key:
 *   GET /admin/timeseries   buckets of requests, errors, tokens, spend, savings, cache hits, p50/p95 latency
 *   GET /admin/errors       recent failed requests (metadata only)
 *   GET /admin/targets      targets with breaker state, recent availability and latency
 *   GET /admin/budget-status budgets with consumption and their alert thresholds
 *   GET /admin/status       per-provider availability and latency over 24 hours and 7 days
 * Filters as /admin/usage: from, to, key, project, model, provider, tag.
 */
import type Koa from 'koa';
import { GatewayError } from '../../core/errors.js';
import type { Gateway } from '../../core/gateway-types.js';
import { targetKey } from '../../core/target-key.js';
import { Breaker, configuredTargets, type BreakerSnapshot } from '../failover/index.js';
import type { BudgetSpec, GovernanceConfig } from '../governance/index.js';
import { adminGet } from './admin-call.js';
import { usageRows, type UsageRow } from './csv.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FILTERS = ['key', 'project', 'model', 'provider', 'tag'] as const;
const STATUS_TTL_MS = 30_000;

export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 10) / 10;
}

const bad = (message: string, param: string) => new GatewayError(400, message, { code: 'invalid_request', param });

function time(v: unknown, fallback: number, param: string): number {
  if (v === undefined || v === '') return fallback;
  const s = String(v);
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw bad(`\`${param}\` must be an ISO date-time or epoch milliseconds.`, param);
  return t;
}

export class Analytics {
  readonly #breaker?: Breaker;
  readonly #seen = new Set<string>();

  constructor(
    private readonly gateway: Gateway,
    private readonly adminKey: string | undefined,
  ) {
    const f = gateway.config.failover;
    if (f !== false && f?.breaker !== false) this.#breaker = new Breaker(gateway.store, f?.breaker || {});
    gateway.hooks.attemptEnd.tap('dashboard', (info) => {
      this.#seen.add(targetKey(info.target));
    });
  }

  /** Usage records in [from, to) through the admin API's CSV export (newest first, at most 100 000). */
  async records(query: Record<string, string | undefined>): Promise<UsageRow[]> {
    const res = await adminGet(this.gateway, '/admin/usage', { ...query, format: 'csv' }, this.adminKey!);
    if (res.status === 404)
      throw new GatewayError(
        404,
        'There is no usage API: the dashboard needs the governance section (admin API and usage ledger).',
        { code: 'governance_missing' },
      );
    if (res.status !== 200)
      throw new GatewayError(res.status, `The usage API answered ${res.status}.`, { code: 'usage_unavailable' });
    return usageRows(String(res.body));
  }

  async timeseries(q: Record<string, unknown>) {
    const now = Date.now();
    const to = time(q.to, now, 'to');
    const from = time(q.from, to - DAY, 'from');
    if (!(from < to)) throw bad('`from` must be before `to`.', 'from');
    const n = q.buckets === undefined ? 48 : Number(q.buckets);
    if (!Number.isInteger(n) || n < 1 || n > 500) throw bad('`buckets` must be an integer from 1 to 500.', 'buckets');
    const bucketMs = Math.ceil((to - from) / n);
    const rows = await this.records(this.#filter(q, from, to));
    const buckets = Array.from({ length: n }, (_, i) => ({ t: from + i * bucketMs, lat: [] as number[], ...zero() }));
    const all: number[] = [];
    const totals = zero();
    for (const r of rows) {
      const b = buckets[Math.min(n - 1, Math.floor((r.time - from) / bucketMs))];
      if (!b) continue;
      for (const x of [b, totals]) add(x, r);
      if (!r.cache?.includes('hit') && r.status < 400) {
        b.lat.push(r.latencyMs);
        all.push(r.latencyMs);
      }
    }
    all.sort((a, b) => a - b);
    return {
      object: 'timeseries',
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      bucketMs,
      totals: { ...totals, ...rates(totals), p50: percentile(all, 50), p95: percentile(all, 95) },
      buckets: buckets.map(({ lat, ...b }) => {
        lat.sort((x, y) => x - y);
        return {
          ...b,
          time: new Date(b.t).toISOString(),
          ...rates(b),
          p50: percentile(lat, 50),
          p95: percentile(lat, 95),
        };
      }),
      truncated: rows.length >= 100_000,
    };
  }

  async errors(q: Record<string, unknown>) {
    const now = Date.now();
    const to = time(q.to, now, 'to');
    const from = time(q.from, to - 7 * DAY, 'from');
    const limit = q.limit === undefined ? 200 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
      throw bad('`limit` must be an integer from 1 to 5000.', 'limit');
    const rows = (await this.records(this.#filter(q, from, to))).filter((r) => r.status >= 400).slice(0, limit);
    return {
      object: 'list',
      data: rows.map((r) => ({
        time: new Date(r.time).toISOString(),
        requestId: r.requestId,
        key: r.keyId,
        project: r.project,
        model: r.model ?? r.requestedModel,
        requestedModel: r.requestedModel,
        provider: r.provider,
        status: r.status,
        errorClass: r.errorCode ?? (r.aborted ? 'aborted' : statusClass(r.status)),
        attempts: r.attempts,
        latencyMs: r.latencyMs,
        stream: r.stream,
      })),
    };
  }

  async targets() {
    const since = Date.now() - 15 * 60_000;
    const rows = await this.records({ from: String(since) });
    const recent = new Map<string, UsageRow[]>();
    for (const r of rows) {
      if (!r.provider || !r.model || r.cache?.includes('hit')) continue;
      const k = `${r.provider}/${r.model}`;
      (recent.get(k) ?? recent.set(k, []).get(k)!).push(r);
    }
    const names = [
      ...new Set([...configuredTargets(this.gateway.config.routing), ...this.#seen, ...recent.keys()]),
    ].sort();
    const targets = await Promise.all(
      names.map(async (target) => {
        const provider = target.slice(0, target.indexOf('/'));
        const b: BreakerSnapshot | undefined = this.#breaker ? await this.#breaker.snapshot(target) : undefined;
        const rs = recent.get(target) ?? [];
        const lat = rs
          .filter((r) => r.status < 400)
          .map((r) => r.latencyMs)
          .sort((x, y) => x - y);
        return {
          target,
          enabled: this.gateway.providers.has(provider),
          state: b?.state ?? 'closed',
          ...(b ? { consecutiveFailures: b.consecutiveFailures, window: b.window } : {}),
          ...(b?.openUntil ? { openUntil: new Date(b.openUntil).toISOString(), reason: b.reason } : {}),
          last15m: {
            requests: rs.length,
            failures: rs.filter((r) => r.status >= 500).length,
            availability: availability(rs),
            p50: percentile(lat, 50),
            p95: percentile(lat, 95),
          },
        };
      }),
    );
    return { object: 'list', breaker: this.#breaker ? { ...this.#breaker.o } : false, data: targets };
  }

  async budgetStatus() {
    const res = await adminGet(this.gateway, '/admin/budgets', {}, this.adminKey!);
    if (res.status !== 200)
      throw new GatewayError(res.status, `The budgets API answered ${res.status}.`, { code: 'budgets_unavailable' });
    const keys = await adminGet(this.gateway, '/admin/keys', {}, this.adminKey!);
    const keyList = (keys.body as { data?: KeyInfo[] } | undefined)?.data ?? [];
    const gov = (this.gateway.config.governance || {}) as GovernanceConfig;
    const specs = (scope: string, id: string) => {
      if (scope === 'global') return gov.budgets?.global;
      if (scope === 'model') return gov.budgets?.models?.[id];
      if (scope === 'project') return gov.projects?.[id]?.budgets;
      return keyList.find((k) => k.id === id)?.budgets;
    };
    const data = (res.body as { data: Array<Record<string, unknown>> }).data.map((b) => {
      const spec = specs(String(b.scope), String(b.id))?.find(
        (s) => (s.period ?? 'month') === b.period && Math.abs(s.limitUsd - Number(b.limitUsd)) < 1e-9,
      );
      const limit = Number(b.limitUsd);
      const used = Number(b.spentUsd);
      const alertAt = [...(spec?.alertAt ?? [50, 80, 100])].sort((x, y) => x - y);
      const percentUsed = limit > 0 ? (used / limit) * 100 : 0;
      const name = displayName(String(b.scope), String(b.id), keyList);
      return {
        ...b,
        ...(name ? { name } : {}),
        alertAt,
        percentUsed: Math.round(percentUsed * 100) / 100,
        crossed: alertAt.filter((t) => percentUsed >= t),
      };
    });
    return { object: 'list', data };
  }

  #statusCache?: { at: number; value: Promise<unknown> };

  /** The status summary, computed at most every 30 s (the public page must not be a way to load the ledger). */
  status(): Promise<unknown> {
    const now = Date.now();
    if (!this.#statusCache || now - this.#statusCache.at >= STATUS_TTL_MS) {
      const value = this.#status();
      this.#statusCache = { at: now, value };
      value.catch(() => {
        if (this.#statusCache?.value === value) this.#statusCache = undefined;
      });
    }
    return this.#statusCache.value;
  }

  async #status() {
    const now = Date.now();
    const rows = (await this.records({ from: String(now - 7 * DAY), to: String(now + 1) })).filter(
      (r) => r.provider && !r.cache?.includes('hit') && !r.shadow,
    );
    const providers = [...new Set(rows.map((r) => r.provider!))].sort();
    const configured = this.gateway.providers.list().map((p) => p.name);
    const names = [...new Set([...configured, ...providers])].sort();
    const windowOf = (rs: UsageRow[]) => {
      const lat = rs
        .filter((r) => r.status < 500)
        .map((r) => r.latencyMs)
        .sort((x, y) => x - y);
      return {
        requests: rs.length,
        failures: rs.filter((r) => r.status >= 500).length,
        availability: availability(rs),
        p50: percentile(lat, 50),
        p95: percentile(lat, 95),
      };
    };
    const series = (rs: UsageRow[], from: number, step: number, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const a = from + i * step;
        return { time: new Date(a).toISOString(), ...windowOf(rs.filter((r) => r.time >= a && r.time < a + step)) };
      });
    const hourStart = Math.floor(now / HOUR) * HOUR;
    const dayStart = Math.floor(now / DAY) * DAY;
    return {
      object: 'status',
      generatedAt: new Date(now).toISOString(),
      note:
        'Availability: share of routed requests without a 5xx answer (client errors and cache hits excluded). ' +
        'Latency: gateway end-to-end, ms.',
      providers: names.map((name) => {
        const rs = rows.filter((r) => r.provider === name);
        const day = rs.filter((r) => r.time >= now - DAY);
        return {
          provider: name,
          enabled: configured.includes(name),
          last24h: windowOf(day),
          last7d: windowOf(rs),
          hourly: series(day, hourStart - 23 * HOUR, HOUR, 24),
          daily: series(rs, dayStart - 6 * DAY, DAY, 7),
        };
      }),
    };
  }

  #filter(q: Record<string, unknown>, from: number, to: number): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = { from: String(from), to: String(to) };
    for (const f of FILTERS) if (typeof q[f] === 'string' && q[f]) out[f] = q[f] as string;
    return out;
  }

  /** Mount the routes (admin key required, like the governance admin API). */
  mount(): void {
    const admin = (path: string, fn: (kctx: Koa.Context) => Promise<unknown>) =>
      this.gateway.route({
        method: 'get',
        path,
        auth: 'admin',
        adminKey: this.adminKey,
        handler: async (kctx) => {
          kctx.set('cache-control', 'no-store');
          kctx.body = await fn(kctx);
        },
      });
    admin('/admin/timeseries', (k) => this.timeseries(k.query));
    admin('/admin/errors', (k) => this.errors(k.query));
    admin('/admin/targets', () => this.targets());
    admin('/admin/budget-status', () => this.budgetStatus());
    admin('/admin/status', () => this.status());
  }
}

interface KeyInfo {
  id: string;
  name?: string;
  budgets?: BudgetSpec[];
}

/**
 * A budget's display name, where one exists: its key's name (an end user's budget: "key name / user").
 * Projects, models and the global budget are named by their id already.
 */
function displayName(scope: string, id: string, keys: KeyInfo[]): string | undefined {
  const keyId = scope === 'key' ? id : scope === 'user' ? id.slice(0, id.indexOf('/')) : undefined;
  const name = keyId === undefined ? undefined : keys.find((k) => k.id === keyId)?.name?.trim();
  if (!name) return undefined;
  return scope === 'user' ? `${name} / ${id.slice(id.indexOf('/') + 1)}` : name;
}

/** A class for failures the ledger has no error code for (e.g. an upstream 500 without one). */
function statusClass(status: number): string {
  if (status === 499) return 'client_closed';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth_refused';
  if (status >= 500) return 'upstream_server_error';
  return 'invalid_request';
}

function zero() {
  return { requests: 0, errors: 0, cacheHits: 0, totalTokens: 0, costUsd: 0, costSavedUsd: 0 };
}

function add(x: ReturnType<typeof zero>, r: UsageRow): void {
  x.requests++;
  if (r.status >= 400) x.errors++;
  if (r.cache?.includes('hit')) x.cacheHits++;
  x.totalTokens += r.totalTokens;
  x.costUsd += r.costUsd;
  x.costSavedUsd += r.costSavedUsd;
}

function rates(x: ReturnType<typeof zero>) {
  return { errorRate: x.requests ? x.errors / x.requests : 0, cacheHitRate: x.requests ? x.cacheHits / x.requests : 0 };
}

function availability(rs: UsageRow[]): number | null {
  return rs.length ? Math.round((1 - rs.filter((r) => r.status >= 500).length / rs.length) * 10000) / 100 : null;
}
