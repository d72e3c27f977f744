/**
 * What a ledger may be asked to store comes partly from clients and upstreams (the requested model,
 * an upstream's error code, its token counts). A value the database refuses must never stop the
 * ledger, so both ledgers store records through `storable()`:
 * - text: NUL and other control characters removed (PostgreSQL refuses NUL in text), at most
 *   MAX_TEXT characters (an indexed column has a row-size limit);
 * - integers: finite, rounded, within the column's range (an upstream may report 12.5 tokens, a
 *   bigint column refuses it); other numbers finite; booleans booleans.
 * A record the database still refuses is quarantined by the ledger (dropped, counted, logged
 * without content), never retried with its whole batch.
 */
import type { BilledUnits, GuardrailVerdict } from '../../../core/usage.js';
import type { LedgerRecord } from './types.js';

export const MAX_TEXT = 512;
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** The same class without the global flag: a test that leaves no lastIndex behind. */
const HAS_CONTROL = /[\u0000-\u001f\u007f]/;
const INT32 = 2_147_483_647;

/** Text a database accepts: controls removed, bounded. */
export function cleanText(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  // Most text has no control character: testing first spares the replace's copy (the ledger stores ~8 texts a row).
  const clean = HAS_CONTROL.test(s) ? s.replace(CONTROL, '') : s;
  return clean.length > MAX_TEXT ? clean.slice(0, MAX_TEXT) : clean;
}

const text = (v: string | null | undefined): string | null => (v === null || v === undefined ? null : cleanText(v));
const big = (v: unknown): number => {
  const n = Math.round(Number(v));
  return Number.isFinite(n) ? Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n)) : 0;
};
const int = (v: unknown): number => Math.max(-INT32, Math.min(INT32, big(v)));
const real = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

export function storable(r: LedgerRecord): LedgerRecord {
  return {
    time: big(r.time),
    requestId: cleanText(r.requestId),
    keyId: text(r.keyId),
    project: text(r.project),
    provider: text(r.provider),
    model: text(r.model),
    requestedModel: cleanText(r.requestedModel),
    operation: cleanText(r.operation),
    stream: r.stream === true,
    status: int(r.status),
    errorCode: text(r.errorCode),
    cache: text(r.cache),
    inputTokens: big(r.inputTokens),
    cachedTokens: big(r.cachedTokens),
    cacheWriteTokens: big(r.cacheWriteTokens),
    outputTokens: big(r.outputTokens),
    reasoningTokens: big(r.reasoningTokens),
    totalTokens: big(r.totalTokens),
    costPusd: big(r.costPusd),
    costSavedPusd: big(r.costSavedPusd),
    latencyMs: real(r.latencyMs),
    upstreamMs: real(r.upstreamMs),
    ttftMs: r.ttftMs === null || r.ttftMs === undefined ? null : real(r.ttftMs),
    attempts: int(r.attempts),
    aborted: r.aborted === true,
    shadow: r.shadow === true,
    tags: Array.isArray(r.tags) ? r.tags.slice(0, 64).map(cleanText) : [],
    usageEstimated: r.usageEstimated === true,
    endUser: text(r.endUser),
    ...(Array.isArray(r.guardrails) && r.guardrails.length
      ? { guardrails: r.guardrails.slice(0, 64).map(verdict) }
      : {}),
    ...(r.units && typeof r.units === 'object' ? { units: storedUnits(r.units) } : {}),
  };
}

/** The keys of stored units, in the order both ledgers give them back (PostgreSQL's jsonb has its own). */
const UNIT_KEYS = [
  'images',
  'imageSize',
  'imageQuality',
  'characters',
  'audioSeconds',
  'searchUnits',
  'documents',
  'imageInputTokens',
] as const;
const TEXT_UNITS = new Set(['imageSize', 'imageQuality']);

/**
 * Billed units as stored and read back: finite non-negative counts, the image size and quality as short clean
 * text, in UNIT_KEYS order; nothing else.
 */
export function storedUnits(u: BilledUnits): BilledUnits {
  const out: Record<string, string | number> = {};
  for (const k of UNIT_KEYS) {
    const v = u[k];
    if (TEXT_UNITS.has(k)) {
      if (typeof v === 'string') out[k] = cleanText(v).slice(0, 32);
    } else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = Math.min(v, Number.MAX_SAFE_INTEGER);
  }
  return out as BilledUnits;
}

/** A guardrail verdict as stored: its texts cleaned, its count an integer (verdicts never hold content). */
function verdict(v: GuardrailVerdict): GuardrailVerdict {
  return {
    policy: cleanText(v.policy),
    rule: cleanText(v.rule),
    action: v.action,
    phase: v.phase,
    count: int(v.count),
  };
}
