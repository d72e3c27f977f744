/** Query parameters of the usage endpoints, and CSV rendering. */
import { GatewayError } from '../../core/errors.js';
import { closest } from '../../core/suggest.js';
import {
  GROUP_BY,
  type GroupBy,
  type LedgerRecord,
  RECORD_FIELDS,
  type UsageFilter,
  type UsageResult,
} from './ledger/types.js';

const bad = (message: string, param: string) => new GatewayError(400, message, { code: 'invalid_request', param });

function time(v: unknown, param: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const s = String(v);
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw bad(`\`${param}\` must be an ISO date-time or epoch milliseconds.`, param);
  return t;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

export interface UsageParams {
  filter: UsageFilter;
  groupBy: GroupBy[];
  csv: boolean;
}

/** Every parameter the usage endpoints read; any other is refused (a typo must not widen the answer). */
const PARAMS = ['from', 'to', 'key', 'project', 'model', 'provider', 'tag', 'user', 'status', 'group_by', 'format'];

function checkParams(q: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(q)) {
    const shown = name.slice(0, 40);
    if (!PARAMS.includes(name)) {
      const near = closest(name, PARAMS);
      const hint = near ? ` Did you mean \`${near}\`?` : '';
      throw bad(`Unknown parameter \`${shown}\`.${hint} The usage API accepts ${PARAMS.join(', ')}.`, shown);
    }
    if (Array.isArray(value))
      throw bad(
        `\`${name}\` is given ${value.length} times; give it once (group_by takes a comma-separated list).`,
        name,
      );
  }
  if (q.format !== undefined && q.format !== 'csv' && q.format !== 'json')
    throw bad('`format` is csv or json.', 'format');
}

export function parseUsageQuery(q: Record<string, unknown>, accept: string | undefined): UsageParams {
  checkParams(q);
  const filter: UsageFilter = {
    from: time(q.from, 'from'),
    to: time(q.to, 'to'),
    key: str(q.key),
    project: str(q.project),
    model: str(q.model),
    provider: str(q.provider),
    tag: str(q.tag),
    user: str(q.user),
  };
  if (q.status !== undefined) {
    const s = Number(q.status);
    if (!Number.isInteger(s)) throw bad('`status` must be an HTTP status code.', 'status');
    filter.status = s;
  }
  const raw = str(q.group_by);
  const groupBy = raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  for (const g of groupBy) {
    if (!(GROUP_BY as readonly string[]).includes(g))
      throw bad(`\`group_by\` accepts ${GROUP_BY.join(', ')} (got "${g.slice(0, 40)}").`, 'group_by');
  }
  const csv = q.format === 'csv' || (q.format === undefined && /text\/csv/.test(accept ?? ''));
  return { filter, groupBy: groupBy as GroupBy[], csv };
}

/** RFC 4180 cell; a leading = + - @ gets a quote so spreadsheets do not run it as a formula. */
export function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v);
  if (/^[=+@\t\r]/.test(s) || /^-[^\d]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const TOTAL_COLUMNS = [
  'requests',
  'errors',
  'cacheHits',
  'failovers',
  'inputTokens',
  'cachedTokens',
  'outputTokens',
  'reasoningTokens',
  'totalTokens',
  'costUsd',
  'costSavedUsd',
  'latencyMsAvg',
  'images',
  'audioSeconds',
  'characters',
  'searchUnits',
  'documents',
] as const;

export function groupsCsv(result: UsageResult, groupBy: GroupBy[]): string {
  const lines = [[...groupBy, ...TOTAL_COLUMNS].join(',')];
  for (const g of result.groups)
    lines.push([...groupBy.map((d) => cell(g.group[d])), ...TOTAL_COLUMNS.map((c) => cell(g[c]))].join(','));
  return lines.join('\n') + '\n';
}

const RECORD_COLUMNS = RECORD_FIELDS;

export function recordsCsv(records: LedgerRecord[]): string {
  const head = RECORD_COLUMNS.map((c) => (c === 'costPusd' ? 'costUsd' : c === 'costSavedPusd' ? 'costSavedUsd' : c));
  const lines = [head.join(',')];
  for (const r of records) {
    lines.push(
      RECORD_COLUMNS.map((c) => {
        if (c === 'time') return new Date(r.time).toISOString();
        if (c === 'costPusd' || c === 'costSavedPusd') return String(r[c] / 1e12);
        if (c === 'guardrails')
          return cell(r.guardrails?.map((v) => `${v.phase}:${v.policy}/${v.rule}:${v.action}=${v.count}`));
        if (c === 'units') return cell(r.units && Object.entries(r.units).map(([k, v]) => `${k}=${v}`));
        return cell(r[c]);
      }).join(','),
    );
  }
  return lines.join('\n') + '\n';
}
