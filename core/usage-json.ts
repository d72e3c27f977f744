/**
 * A usage record as JSON bytes, for the usage log line written on every request (plugins/meter).
 * Node 20's `JSON.stringify` escapes each of the record's ~25 keys character by character on every call
 * (~20,000 instructions a record, a twentieth of a zero-config request: bench/profile-notes.md, seventeenth
 * round). Here the keys are bytes encoded once and the values are written from their primitives.
 *
 * It covers the record `usageRecord` builds (core/pipeline.ts) and the costs the catalog adds. Anything
 * else returns undefined and the caller uses `JSON.stringify`: a field it does not know (a plugin's), a
 * value of another type, a string that needs escaping or is not ASCII, a long attempt log. What it writes
 * parses to the same value as `JSON.stringify`'s text; the order of the keys is the record's usual one
 * (usageRecord's, then the catalog's costs), which a record built in another order does not keep.
 */
import type { UsageRecord } from './usage.js';

/** Each key as `,"key":` in bytes (the first key has no comma: OPEN). */
const K = (name: string): Uint8Array => Buffer.from(`,"${name}":`, 'latin1');
const OPEN = Buffer.from('{"requestId":', 'latin1');
const TIME = K('time');
const OPERATION = K('operation');
const DIALECT = K('dialect');
const PRINCIPAL = K('principalId');
const PROJECT = K('project');
const END_USER = K('endUser');
const REQUESTED = K('requestedModel');
const PROVIDER = K('provider');
const MODEL = K('model');
const STREAM = K('stream');
const STATUS = K('status');
const ERROR_CODE = K('errorCode');
const ABORTED = K('aborted');
const CACHE = K('cache');
const LATENCY = K('latencyMs');
const TTFT = K('ttftMs');
const ATTEMPTS = K('attempts');
const PROMPT = K('promptTokens');
const COMPLETION = K('completionTokens');
const TOTAL = K('totalTokens');
const CACHED = K('cachedTokens');
const CACHE_WRITE = K('cacheWriteTokens');
const REASONING = K('reasoningTokens');
const ESTIMATED = K('usageEstimated');
const SHADOW = K('shadow');
const BATCH = K('batch');
const ATTEMPT_LOG = K('attemptLog');
const COST = K('costUsd');
const LIST_COST = K('listCostUsd');
const TARGET = Buffer.from('{"target":', 'latin1');
const CODE = K('code');
const HEDGE = K('hedge');
const CANCELLED = K('cancelled');
const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');

/** Keys every record from usageRecord has as its own (some with undefined values). */
const ALWAYS = 24;
/** Keys every attempt log entry has as its own (code may be undefined). */
const ENTRY_ALWAYS = 4;
/** More attempts than this: JSON.stringify (the buffer's bound holds this many). */
const MAX_ATTEMPTS = 32;
/** The longest string written here (ids, model names); a longer one: JSON.stringify. */
const MAX_STRING = 256;
/**
 * Room for the longest record accepted: 60 keys of at most 20 bytes, 60 numbers of at most 24 bytes and
 * 8 strings per attempt and record of at most MAX_STRING + 2, with slack.
 */
const SCRATCH = 4096 + (MAX_ATTEMPTS + 1) * 8 * (MAX_STRING + 2);

const out = Buffer.allocUnsafe(SCRATCH);

function raw(pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[pos + i] = bytes[i]!;
  return pos + bytes.length;
}

/** A JSON string of printable ASCII without `"` or `\` (nothing to escape); -1 for anything else. */
function str(pos: number, s: unknown): number {
  if (typeof s !== 'string' || s.length > MAX_STRING) return -1;
  out[pos++] = 34;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) return -1;
    out[pos++] = c;
  }
  out[pos++] = 34;
  return pos;
}

/** The digits of a whole number 0 <= n <= 2^53 (what String(n) writes for it). */
function digits(pos: number, n: number): number {
  if (n < 10) {
    out[pos] = 48 + n;
    return pos + 1;
  }
  if (n < 2 ** 31) {
    let d = 10;
    while (d * 10 <= n) d *= 10;
    while (d >= 1) {
      const q = (n / d) | 0;
      out[pos++] = 48 + q;
      n -= q * d;
      d = d / 10;
    }
    return pos;
  }
  // Larger (a time in ms): from the last digit back, each step exact below 2^53.
  let len = 0;
  for (let m = n; m >= 1; m = Math.floor(m / 10)) len++;
  for (let i = pos + len - 1; i >= pos; i--) {
    const q = Math.floor(n / 10);
    out[i] = 48 + (n - q * 10);
    n = q;
  }
  return pos + len;
}

/**
 * A number as JSON writes it (non-finite: null); -1 for anything not a number. Whole numbers (counts, a
 * time in ms) and the record's latencies, rounded to the microsecond (k / 1000), are written from their
 * digits; anything else through String (the same digits as JSON: both use Number::toString). For a
 * double that is exactly k / 1000 (0 < k < 10^12) the shortest digits that read back as it are k's with the
 * point three places in and the trailing zeros dropped, which is what String writes.
 */
function num(pos: number, n: unknown): number {
  if (typeof n !== 'number') return -1;
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n) return digits(pos, n);
  if (n > 0 && n < 1e9) {
    const k = Math.round(n * 1000);
    if (k / 1000 === n) {
      const whole = Math.floor(k / 1000);
      pos = digits(pos, whole);
      let frac = k - whole * 1000; // 1..999: n is not whole
      out[pos++] = 46; // .
      out[pos++] = 48 + ((frac / 100) | 0);
      frac %= 100;
      if (frac === 0) return pos;
      out[pos++] = 48 + ((frac / 10) | 0);
      frac %= 10;
      if (frac === 0) return pos;
      out[pos++] = 48 + frac;
      return pos;
    }
  }
  if (!Number.isFinite(n)) return raw(pos, NULL);
  const s = String(n);
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

function bool(pos: number, b: unknown): number {
  return b === true ? raw(pos, TRUE) : b === false ? raw(pos, FALSE) : -1;
}

/** An optional string: the key and the value when set, nothing when undefined. */
function optStr(pos: number, key: Uint8Array, v: unknown): number {
  return v === undefined ? pos : str(raw(pos, key), v);
}

/** The attempt log; -1 when an entry is not what usageRecord builds. */
function attemptLog(pos: number, log: unknown): number {
  if (!Array.isArray(log) || log.length > MAX_ATTEMPTS) return -1;
  pos = raw(pos, ATTEMPT_LOG);
  out[pos++] = 91; // [
  for (let i = 0; i < log.length; i++) {
    const a = log[i] as Record<string, unknown> | null | undefined;
    if (typeof a !== 'object' || a === null || Object.getPrototypeOf(a) !== Object.prototype) return -1;
    let keys = 0;
    for (const _ in a) keys++;
    const hedge = a.hedge;
    const cancelled = a.cancelled;
    if (!('code' in a) || keys !== ENTRY_ALWAYS + (hedge === undefined ? 0 : 1) + (cancelled === undefined ? 0 : 1))
      return -1;
    if (i > 0) out[pos++] = 44; // ,
    pos = str(raw(pos, TARGET), a.target);
    if (pos < 0) return -1;
    pos = num(raw(pos, STATUS), a.status);
    if (pos < 0) return -1;
    const code = a.code;
    if (code === null) pos = raw(raw(pos, CODE), NULL);
    else if (code !== undefined && (pos = str(raw(pos, CODE), code)) < 0) return -1;
    pos = num(raw(pos, LATENCY), a.latencyMs);
    if (pos < 0) return -1;
    if (hedge !== undefined && (pos = bool(raw(pos, HEDGE), hedge)) < 0) return -1;
    if (cancelled !== undefined && (pos = bool(raw(pos, CANCELLED), cancelled)) < 0) return -1;
    out[pos++] = 125; // }
  }
  out[pos++] = 93; // ]
  return pos;
}

/**
 * The record's JSON as bytes, or undefined when it is not a shape written here. The bytes are a view of
 * a buffer the next call overwrites: copy them before calling again.
 */
export function usageJsonBytes(record: UsageRecord): Uint8Array | undefined {
  const r = record as unknown as Record<string, unknown>;
  if (Object.getPrototypeOf(r) !== Object.prototype) return undefined;
  // Exactly the known keys: those always set (own, even when undefined) and the optional ones when set.
  let keys = 0;
  for (const _ in r) keys++;
  const endUser = r.endUser;
  const estimated = r.usageEstimated;
  const shadow = r.shadow;
  const batch = r.batch;
  const cost = r.costUsd;
  const listCost = r.listCostUsd;
  const optional =
    (endUser === undefined ? 0 : 1) +
    (estimated === undefined ? 0 : 1) +
    (shadow === undefined ? 0 : 1) +
    (batch === undefined ? 0 : 1) +
    (cost === undefined ? 0 : 1) +
    (listCost === undefined ? 0 : 1);
  // The always-set keys that may hold undefined must be there (a deleted one would make room for another).
  if (
    keys !== ALWAYS + optional ||
    !('principalId' in r && 'project' in r && 'provider' in r && 'model' in r && 'cache' in r && 'ttftMs' in r)
  )
    return undefined;
  let p = str(raw(0, OPEN), r.requestId);
  if (p < 0) return undefined;
  p = num(raw(p, TIME), r.time);
  if (p < 0) return undefined;
  p = str(raw(p, OPERATION), r.operation);
  if (p < 0) return undefined;
  p = str(raw(p, DIALECT), r.dialect);
  if (p < 0) return undefined;
  p = optStr(p, PRINCIPAL, r.principalId);
  if (p < 0) return undefined;
  p = optStr(p, PROJECT, r.project);
  if (p < 0) return undefined;
  p = optStr(p, END_USER, endUser);
  if (p < 0) return undefined;
  p = str(raw(p, REQUESTED), r.requestedModel);
  if (p < 0) return undefined;
  p = optStr(p, PROVIDER, r.provider);
  if (p < 0) return undefined;
  p = optStr(p, MODEL, r.model);
  if (p < 0) return undefined;
  p = bool(raw(p, STREAM), r.stream);
  if (p < 0) return undefined;
  p = num(raw(p, STATUS), r.status);
  if (p < 0) return undefined;
  const code = r.errorCode;
  if (code === null) p = raw(raw(p, ERROR_CODE), NULL);
  else p = optStr(p, ERROR_CODE, code);
  if (p < 0) return undefined;
  p = bool(raw(p, ABORTED), r.aborted);
  if (p < 0) return undefined;
  p = optStr(p, CACHE, r.cache);
  if (p < 0) return undefined;
  p = num(raw(p, LATENCY), r.latencyMs);
  if (p < 0) return undefined;
  if (r.ttftMs !== undefined && (p = num(raw(p, TTFT), r.ttftMs)) < 0) return undefined;
  p = num(raw(p, ATTEMPTS), r.attempts);
  if (p < 0) return undefined;
  p = num(raw(p, PROMPT), r.promptTokens);
  if (p < 0) return undefined;
  p = num(raw(p, COMPLETION), r.completionTokens);
  if (p < 0) return undefined;
  p = num(raw(p, TOTAL), r.totalTokens);
  if (p < 0) return undefined;
  p = num(raw(p, CACHED), r.cachedTokens);
  if (p < 0) return undefined;
  p = num(raw(p, CACHE_WRITE), r.cacheWriteTokens);
  if (p < 0) return undefined;
  p = num(raw(p, REASONING), r.reasoningTokens);
  if (p < 0) return undefined;
  if (estimated !== undefined && (p = bool(raw(p, ESTIMATED), estimated)) < 0) return undefined;
  if (shadow !== undefined && (p = bool(raw(p, SHADOW), shadow)) < 0) return undefined;
  if (batch !== undefined && (p = bool(raw(p, BATCH), batch)) < 0) return undefined;
  p = attemptLog(p, r.attemptLog);
  if (p < 0) return undefined;
  if (cost !== undefined && (p = num(raw(p, COST), cost)) < 0) return undefined;
  if (listCost !== undefined && (p = num(raw(p, LIST_COST), listCost)) < 0) return undefined;
  out[p++] = 125; // }
  return out.subarray(0, p);
}
