/**
 * Rate limits per key, project and model: requests and tokens per minute with GCRA (exact, O(1)
 * state per key: a request passes when the bucket has room; Retry-After says when it will), and
 * concurrent requests. OpenAI's x-ratelimit-* headers report the tightest applicable limit.
 */
import { GatewayError } from '../../core/errors.js';
import type { MemoryQuotaStore, QuotaStore, RateItem, RateResult, RateState } from './quota.js';
import type { Scoped } from './scopes.js';
import type { LimitSpec } from './types.js';

const MINUTE = 60_000;

export interface RateTaken {
  items: RateItem[];
  /** Index of each token item, to correct it by the actual token count afterwards. */
  tokenItems: RateItem[];
  tokensEstimated: number;
  slots: string[];
}

/** OpenAI's duration format: "1s", "6m0s", "20ms". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

function tightest(states: RateState[]): RateState | undefined {
  return states.reduce<RateState | undefined>((a, b) => (!a || b.remaining < a.remaining ? b : a), undefined);
}

function headers(req: RateState[], tok: RateState[]): Record<string, string> {
  const h: Record<string, string> = {};
  const r = tightest(req);
  if (r) {
    h['x-ratelimit-limit-requests'] = String(r.limit);
    h['x-ratelimit-remaining-requests'] = String(r.remaining);
    h['x-ratelimit-reset-requests'] = duration(r.resetMs);
  }
  const t = tightest(tok);
  if (t) {
    h['x-ratelimit-limit-tokens'] = String(t.limit);
    h['x-ratelimit-remaining-tokens'] = String(t.remaining);
    h['x-ratelimit-reset-tokens'] = duration(t.resetMs);
  }
  return h;
}

/** What a request takes of its limits: its concurrency slots and rate items, before the store is asked. */
interface LimitPlan {
  taken: RateTaken;
  limits: Scoped<LimitSpec>[];
  slots: Array<{ key: string; limit: number }>;
  kinds: Array<'requests' | 'tokens'>;
  owners: Scoped<LimitSpec>[];
}

function plan(limits: Scoped<LimitSpec>[], tokens: number): LimitPlan {
  const taken: RateTaken = { items: [], tokenItems: [], tokensEstimated: tokens, slots: [] };
  const slots: LimitPlan['slots'] = [];
  const kinds: LimitPlan['kinds'] = [];
  const owners: Scoped<LimitSpec>[] = [];
  for (const l of limits) {
    if (l.spec.concurrent) slots.push({ key: `gov:conc:${l.scope}:${l.id}`, limit: l.spec.concurrent });
    if (l.spec.requestsPerMinute) {
      taken.items.push({
        key: `gov:rpm:${l.scope}:${l.id}`,
        cost: 1,
        limit: l.spec.requestsPerMinute,
        windowMs: MINUTE,
      });
      kinds.push('requests');
      owners.push(l);
    }
    if (l.spec.tokensPerMinute) {
      const item = { key: `gov:tpm:${l.scope}:${l.id}`, cost: tokens, limit: l.spec.tokensPerMinute, windowMs: MINUTE };
      taken.items.push(item);
      taken.tokenItems.push(item);
      kinds.push('tokens');
      owners.push(l);
    }
  }
  return { taken, limits, slots, kinds, owners };
}

function concurrencyRefused(p: LimitPlan, index: number): GatewayError {
  const l = p.limits.filter((x) => x.spec.concurrent)[index];
  return new GatewayError(
    429,
    `Too many concurrent requests for ${l.scope} "${l.id}": the limit is ${l.spec.concurrent} at once.`,
    {
      type: 'requests',
      code: 'concurrency_limit_exceeded',
      headers: { 'retry-after': '1' },
    },
  );
}

/** Report the rate states in the headers; the 429 to throw when refused (the caller releases the slots first). */
function rateChecked(p: LimitPlan, r: RateResult, responseHeaders: Record<string, string>): GatewayError | undefined {
  const req: RateState[] = [];
  const tok: RateState[] = [];
  for (let i = 0; i < r.states.length; i++) (p.kinds[i] === 'requests' ? req : tok).push(r.states[i]);
  Object.assign(responseHeaders, headers(req, tok));
  if (r.ok) return undefined;
  const item = p.taken.items[r.index];
  const kind = p.kinds[r.index];
  const l = p.owners[r.index];
  const unit = kind === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
  const retry = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  const tooBig = item.cost > item.limit;
  return new GatewayError(
    429,
    tooBig
      ? `Request too large for ${l.scope} "${l.id}" on ${unit}: Limit ${item.limit}, Requested ${item.cost}.`
      : `Rate limit reached for ${l.scope} "${l.id}" on ${unit}: Limit ${item.limit}, Requested ${item.cost}. ` +
          `Please try again in ${duration(r.retryAfterMs)}.`,
    {
      type: kind,
      code: 'rate_limit_exceeded',
      headers: { 'retry-after': String(retry), 'retry-after-ms': String(Math.ceil(r.retryAfterMs)) },
    },
  );
}

/**
 * Take a concurrency slot and the request's rate units on every applicable limit, or throw 429
 * (nothing taken then). Headers go into `responseHeaders` either way.
 */
export async function takeLimits(
  quota: QuotaStore,
  limits: Scoped<LimitSpec>[],
  tokens: number,
  responseHeaders: Record<string, string>,
): Promise<RateTaken> {
  const p = plan(limits, tokens);
  if (p.slots.length) {
    const c = await quota.acquire(p.slots);
    if (!c.ok) throw concurrencyRefused(p, c.index);
    p.taken.slots = p.slots.map((s) => s.key);
  }
  if (!p.taken.items.length) return p.taken;
  const refused = rateChecked(p, await quota.rate(p.taken.items, Date.now()), responseHeaders);
  if (refused) {
    await quota.release(p.taken.slots);
    throw refused;
  }
  return p.taken;
}

/** takeLimits() on the in-memory store, synchronously (no promise): the common case of admission. */
export function takeLimitsNow(
  quota: MemoryQuotaStore,
  limits: Scoped<LimitSpec>[],
  tokens: number,
  responseHeaders: Record<string, string>,
): RateTaken {
  const p = plan(limits, tokens);
  if (p.slots.length) {
    const c = quota.acquireNow(p.slots);
    if (!c.ok) throw concurrencyRefused(p, c.index);
    p.taken.slots = p.slots.map((s) => s.key);
  }
  if (!p.taken.items.length) return p.taken;
  const refused = rateChecked(p, quota.rateNow(p.taken.items, Date.now()), responseHeaders);
  if (refused) {
    quota.releaseNow(p.taken.slots);
    throw refused;
  }
  return p.taken;
}

/** Give back what a refused request took (e.g. the budget refused it after the limits passed). */
export async function giveBack(quota: QuotaStore, taken: RateTaken): Promise<void> {
  const now = Date.now();
  await Promise.all(taken.items.map((it) => quota.rateAdjust(it, -it.cost, now)));
}

/** After the request: release slots and correct token buckets to the actual usage. */
export async function settleLimits(quota: QuotaStore, taken: RateTaken, actualTokens: number): Promise<void> {
  if (taken.slots.length) await quota.release(taken.slots);
  const delta = actualTokens - taken.tokensEstimated;
  if (delta) {
    const now = Date.now();
    await Promise.all(taken.tokenItems.map((it) => quota.rateAdjust(it, delta, now)));
  }
}

/** settleLimits() on the in-memory store, synchronously. */
export function settleLimitsNow(quota: MemoryQuotaStore, taken: RateTaken, actualTokens: number): void {
  if (taken.slots.length) quota.releaseNow(taken.slots);
  const delta = actualTokens - taken.tokensEstimated;
  if (delta) {
    const now = Date.now();
    for (const it of taken.tokenItems) quota.rateAdjustNow(it, delta, now);
  }
}
