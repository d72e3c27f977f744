/**
 * What the SQLite and PostgreSQL ledgers share: the usage columns and a record's values for them,
 * the WHERE clause of a UsageFilter, the group-by dimensions and aggregates of /admin/usage, the
 * sums of the billed units (the `units` JSON column), the merging of 15-minute time buckets into the
 * configured zone's days and hours, and row -> record mapping. The SQL dialect differences are a
 * LedgerDialect: placeholders (`?` or `$n`), booleans and tags as stored (0/1 and JSON text, or
 * boolean and text[]), the model and tag conditions, the aggregate functions, a member of `units`.
 */
import type { BilledUnits } from '../../../core/usage.js';
import { localLabel } from '../periods.js';
import { storedUnits } from './sanitize.js';
import type { GroupBy, LedgerRecord, UsageFilter, UsageGroup, UsageResult, UsageTotals } from './types.js';

/** The usage table's columns, in the order of recordValues(). */
export const USAGE_COLUMNS = [
  'time',
  'request_id',
  'key_id',
  'project',
  'provider',
  'model',
  'requested_model',
  'operation',
  'stream',
  'status',
  'error_code',
  'cache',
  'input_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_pusd',
  'cost_saved_pusd',
  'latency_ms',
  'upstream_ms',
  'ttft_ms',
  'attempts',
  'aborted',
  'shadow',
  'tags',
  'usage_estimated',
  'guardrails',
  'end_user',
  'units',
] as const;

/** The billed units summed in totals and groups (keys of a record's `units`). */
export const UNIT_TOTALS = ['images', 'audioSeconds', 'characters', 'searchUnits', 'documents'] as const;

export type LedgerRow = Record<string, unknown>;

export interface LedgerDialect {
  /** The placeholder of the n-th parameter (1-based): '?' or '$n'. */
  param(n: number): string;
  /** A boolean as stored (1/0, or true/false). */
  bool(v: boolean): unknown;
  /** The tags as stored (JSON text, or a text[] array). */
  tags(tags: string[]): unknown;
  /** The condition on a model name (model, requested model or "provider/model"); `bind` adds a parameter. */
  model(model: string, bind: (v: unknown) => string): string;
  /** The condition "has the tag" on the bound placeholder. */
  hasTag(placeholder: string): string;
  /** The join that makes each tag a row `t.value`. */
  tagJoin: string;
  /** The aggregate of the usage columns: a count of rows matching `cond`, a sum, a sum of doubles. */
  countIf(cond: string): string;
  sum: string;
  sumReal: string;
  /** A numeric member of the `units` JSON column (NULL when absent). */
  unit(name: string): string;
}

/** A record's values, in USAGE_COLUMNS order (the record already made storable). */
export function recordValues(r: LedgerRecord, d: LedgerDialect): unknown[] {
  return [
    r.time,
    r.requestId,
    r.keyId,
    r.project,
    r.provider,
    r.model,
    r.requestedModel,
    r.operation,
    d.bool(r.stream),
    r.status,
    r.errorCode,
    r.cache,
    r.inputTokens,
    r.cachedTokens,
    r.cacheWriteTokens,
    r.outputTokens,
    r.reasoningTokens,
    r.totalTokens,
    r.costPusd,
    r.costSavedPusd,
    r.latencyMs,
    r.upstreamMs,
    r.ttftMs,
    r.attempts,
    d.bool(r.aborted),
    d.bool(r.shadow),
    d.tags(r.tags),
    d.bool(r.usageEstimated ?? false),
    r.guardrails?.length ? JSON.stringify(r.guardrails) : null,
    r.endUser ?? null,
    r.units && Object.keys(r.units).length ? JSON.stringify(r.units) : null,
  ];
}

/** The WHERE clause of a filter over `usage u`, with its parameters (numbered from 1). */
export function whereSql(f: UsageFilter, d: LedgerDialect): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return d.param(params.length);
  };
  if (f.from !== undefined) parts.push(`u.time >= ${bind(f.from)}`);
  if (f.to !== undefined) parts.push(`u.time < ${bind(f.to)}`);
  if (f.key !== undefined) parts.push(`u.key_id = ${bind(f.key)}`);
  if (f.project !== undefined) parts.push(`u.project = ${bind(f.project)}`);
  if (f.user !== undefined) parts.push(`u.end_user = ${bind(f.user)}`);
  if (f.provider !== undefined) parts.push(`u.provider = ${bind(f.provider)}`);
  if (f.status !== undefined) parts.push(`u.status = ${bind(f.status)}`);
  if (f.model !== undefined) parts.push(d.model(f.model, bind));
  if (f.tag !== undefined) parts.push(d.hasTag(bind(f.tag)));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Group-by dimensions; time comes as 15-minute buckets (every zone offset is a multiple of 15 minutes). */
const DIM_SQL: Record<GroupBy, string> = {
  model: 'coalesce(u.model, u.requested_model)',
  provider: 'u.provider',
  key: 'u.key_id',
  project: 'u.project',
  user: 'u.end_user',
  status: 'u.status',
  tag: 't.value',
  day: 'u.time / 900000',
  hour: 'u.time / 900000',
};

const SUMMED = [
  'input_tokens',
  'cached_tokens',
  'output_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_pusd',
  'cost_saved_pusd',
];

function aggregates(d: LedgerDialect): string {
  return [
    'count(*) AS requests',
    `${d.countIf('u.status >= 400')} AS errors`,
    `${d.countIf("u.cache IN ('hit','semantic-hit')")} AS cache_hits`,
    `${d.countIf('u.attempts > 1')} AS failovers`,
    ...SUMMED.map((c) => `${d.sum}(u.${c}) AS ${c}`),
    `${d.sumReal}(u.latency_ms) AS latency_ms`,
    ...UNIT_TOTALS.map((k) => `${d.sumReal}(${d.unit(k)}) AS "unit_${k}"`), // quoted: PostgreSQL folds case
  ].join(', ');
}

/** The SELECT of the totals over `table` (as `u`), filtered by `where`. */
export function totalsSql(table: string, where: string, d: LedgerDialect): string {
  return `SELECT ${aggregates(d)} FROM ${table} u ${where}`;
}

/** The SELECT of the totals per group (columns g0, g1, ...). */
export function groupsSql(table: string, where: string, groupBy: GroupBy[], d: LedgerDialect): string {
  const dims = groupBy.map((g, i) => `${DIM_SQL[g]} AS g${i}`).join(', ');
  const join = groupBy.includes('tag') ? d.tagJoin : '';
  const by = groupBy.map((_, i) => `g${i}`).join(', ');
  return `SELECT ${dims}, ${aggregates(d)} FROM ${table} u ${join} ${where} GROUP BY ${by}`;
}

/** The usage result: totals, and the grouped rows with time buckets labelled in `timeZone` and merged. */
export function usageResult(
  totalsRow: LedgerRow,
  rows: LedgerRow[],
  groupBy: GroupBy[],
  timeZone: string,
): UsageResult {
  const totals = toTotals(totalsRow);
  if (!groupBy.length) return { totals, groups: [] };
  const merged = new Map<string, { group: Record<string, string | number | null>; row: LedgerRow }>();
  for (const row of rows) {
    const group: Record<string, string | number | null> = {};
    groupBy.forEach((g, i) => {
      const v = row[`g${i}`] as string | number | null;
      if (g === 'day' || g === 'hour') group[g] = localLabel(Number(v) * 900_000, g, timeZone);
      else group[g] = g === 'status' && v !== null ? Number(v) : v;
    });
    const id = JSON.stringify(group);
    const m = merged.get(id);
    if (!m) merged.set(id, { group, row: { ...row } });
    else {
      for (const k of Object.keys(row)) if (!k.startsWith('g')) m.row[k] = Number(m.row[k] ?? 0) + Number(row[k] ?? 0);
    }
  }
  const groups: UsageGroup[] = [...merged.values()].map(({ group, row }) => ({ group, ...toTotals(row) }));
  groups.sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests);
  return { totals, groups };
}

const n = (v: unknown) => Number(v ?? 0);
/** A stored boolean: SQLite's 1, PostgreSQL's true. */
const yes = (v: unknown) => v === 1 || v === true;

function toTotals(r: LedgerRow): UsageTotals {
  const requests = n(r.requests);
  return {
    requests,
    errors: n(r.errors),
    cacheHits: n(r.cache_hits),
    failovers: n(r.failovers),
    inputTokens: n(r.input_tokens),
    cachedTokens: n(r.cached_tokens),
    outputTokens: n(r.output_tokens),
    reasoningTokens: n(r.reasoning_tokens),
    totalTokens: n(r.total_tokens),
    costUsd: n(r.cost_pusd) / 1e12,
    costSavedUsd: n(r.cost_saved_pusd) / 1e12,
    latencyMsAvg: requests ? Math.round((n(r.latency_ms) / requests) * 1000) / 1000 : 0,
    images: n(r.unit_images),
    audioSeconds: Math.round(n(r.unit_audioSeconds) * 1000) / 1000,
    characters: n(r.unit_characters),
    searchUnits: n(r.unit_searchUnits),
    documents: n(r.unit_documents),
  };
}

/** A stored row as a record (tags, guardrails and units as JSON text or already parsed). */
export function fromRow(r: LedgerRow): LedgerRecord {
  const tags = typeof r.tags === 'string' ? JSON.parse(r.tags) : ((r.tags as string[] | null) ?? []);
  const text = (v: unknown) => v as string | null;
  return {
    time: n(r.time),
    requestId: String(r.request_id),
    keyId: text(r.key_id),
    project: text(r.project),
    provider: text(r.provider),
    model: text(r.model),
    requestedModel: String(r.requested_model ?? ''),
    operation: String(r.operation),
    stream: yes(r.stream),
    status: n(r.status),
    errorCode: text(r.error_code),
    cache: text(r.cache),
    inputTokens: n(r.input_tokens),
    cachedTokens: n(r.cached_tokens),
    cacheWriteTokens: n(r.cache_write_tokens),
    outputTokens: n(r.output_tokens),
    reasoningTokens: n(r.reasoning_tokens),
    totalTokens: n(r.total_tokens),
    costPusd: n(r.cost_pusd),
    costSavedPusd: n(r.cost_saved_pusd),
    latencyMs: n(r.latency_ms),
    upstreamMs: n(r.upstream_ms),
    ttftMs: r.ttft_ms === null ? null : n(r.ttft_ms),
    attempts: n(r.attempts),
    aborted: yes(r.aborted),
    shadow: yes(r.shadow),
    tags,
    usageEstimated: yes(r.usage_estimated),
    ...(typeof r.guardrails === 'string'
      ? { guardrails: JSON.parse(r.guardrails) }
      : Array.isArray(r.guardrails)
        ? { guardrails: r.guardrails as LedgerRecord['guardrails'] }
        : {}),
    endUser: (r.end_user as string | null | undefined) ?? null,
    ...(typeof r.units === 'string'
      ? { units: storedUnits(JSON.parse(r.units)) }
      : r.units && typeof r.units === 'object'
        ? { units: storedUnits(r.units as BilledUnits) } // jsonb: its own key order
        : {}),
  };
}
