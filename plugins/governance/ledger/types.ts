/**
 * The usage ledger: one metadata-only record per request (never content, never a key), budget spend
 * counters persisted with the records that caused them, and runtime virtual keys (hashes only).
 * SQLite implements it (sqlite.ts); a PostgreSQL ledger implements the same interface.
 */

import type { BilledUnits, GuardrailVerdict } from '../../../core/usage.js';

export interface LedgerRecord {
  time: number;
  requestId: string;
  keyId: string | null;
  project: string | null;
  provider: string | null;
  model: string | null;
  requestedModel: string;
  operation: string;
  stream: boolean;
  status: number;
  errorCode: string | null;
  cache: string | null;
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  /** Effective cost in picodollars (1e-12 USD): exact integer arithmetic. */
  costPusd: number;
  /** What a cache hit saved, picodollars. */
  costSavedPusd: number;
  latencyMs: number;
  /** Time spent in upstream attempts (ms). */
  upstreamMs: number;
  ttftMs: number | null;
  attempts: number;
  aborted: boolean;
  shadow: boolean;
  tags: string[];
  /** Guardrail verdicts (policy, rule id, action, phase, count; never text), when any fired. */
  guardrails?: GuardrailVerdict[];
  /** Token counts estimated by the gateway (a stream ended without the upstream's usage). */
  usageEstimated?: boolean;
  /** End user within the key (validated id or its hash), if any. */
  endUser?: string | null;
  /** Billed units other than tokens (images, characters, audio seconds, search units, documents), if any. */
  units?: BilledUnits;
}

/**
 * Every field of a record, in the order the CSV export writes them (usage-api.ts) and the writer thread's
 * hand-over packs them (ledger/entry-codec.ts).
 */
export const RECORD_FIELDS = [
  'time',
  'requestId',
  'keyId',
  'project',
  'provider',
  'model',
  'requestedModel',
  'operation',
  'stream',
  'status',
  'errorCode',
  'cache',
  'inputTokens',
  'cachedTokens',
  'cacheWriteTokens',
  'outputTokens',
  'reasoningTokens',
  'totalTokens',
  'costPusd',
  'costSavedPusd',
  'latencyMs',
  'upstreamMs',
  'ttftMs',
  'attempts',
  'aborted',
  'shadow',
  'tags',
  'usageEstimated',
  'guardrails',
  'endUser',
  'units',
] as const satisfies readonly (keyof LedgerRecord)[];

/** A field of LedgerRecord missing from RECORD_FIELDS fails to compile here. */
type MissingField = Exclude<keyof LedgerRecord, (typeof RECORD_FIELDS)[number]>;
const everyField: [MissingField] extends [never] ? true : MissingField = true;
void everyField;

/** Spend to add to a persisted budget counter (picodollars), written with its record. */
export interface Charge {
  key: string;
  pusd: number;
  expiresAt: number | null;
}

export interface LedgerEntry {
  record: LedgerRecord;
  charges: Charge[];
}

export const GROUP_BY = ['model', 'provider', 'key', 'project', 'user', 'tag', 'day', 'hour', 'status'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface UsageFilter {
  from?: number;
  to?: number;
  key?: string;
  project?: string;
  model?: string;
  provider?: string;
  tag?: string;
  /** End user (as stored: the id, or its hash when hashing is on). */
  user?: string;
  status?: number;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  cacheHits: number;
  failovers: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  costUsd: number;
  costSavedUsd: number;
  latencyMsAvg: number;
  /** Sums of the records' billed units (UNIT_TOTALS). */
  images: number;
  audioSeconds: number;
  characters: number;
  searchUnits: number;
  documents: number;
}

export interface UsageGroup extends UsageTotals {
  group: Record<string, string | number | null>;
}

export interface UsageResult {
  totals: UsageTotals;
  groups: UsageGroup[];
}

/** A runtime-created virtual key as stored (the hash, never the key). */
export interface StoredKey {
  id: string;
  hash: string;
  createdAt: number;
  revokedAt: number | null;
  attrs: Record<string, unknown>;
}

export interface Ledger {
  append(entries: LedgerEntry[]): Promise<void>;
  query(filter: UsageFilter, groupBy: GroupBy[], timeZone: string): Promise<UsageResult>;
  /** Raw records, newest first (CSV export). */
  records(filter: UsageFilter, limit: number): Promise<LedgerRecord[]>;
  /** Persisted spend of budget counters. */
  budgetSpend(keys: string[]): Promise<Map<string, number>>;
  /** Spend per key and per project in [from, to) (spike detection). */
  spendBy(scope: 'key' | 'project', from: number, to: number): Promise<Map<string, number>>;
  /** Delete records before `before`, and expired counters; returns records deleted. */
  prune(before: number): Promise<number>;
  saveKey(key: StoredKey): Promise<void>;
  loadKeys(): Promise<StoredKey[]>;
  close(): Promise<void>;
}
