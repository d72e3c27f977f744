/**
 * Rate limits per key, project and model: requests and tokens per minute with GCRA (exact, O(1)
 * state per key: a request passes when the bucket has room; Retry-After says when it will), and
 * concurrent requests. OpenAI's x-ratelimit-* headers report the tightest applicable limit.
 */
import { GatewayError } from '../../core/errors.js';
import type { QuotaStore, RateItem, RateState } from './quota.js';
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

/**
 * Take a concurrency slot and the request's rate units on every applicable limit, or throw 429
 * (nothing taken then). Headers go into `responseHeaders` either way.
 */
export async function takeLimits(
  quota: QuotaStore, limits: Scoped<LimitSpec>[], tokens: number, responseHeaders: Record<string, string>,
): Promise<RateTaken> {
  const taken: RateTaken = { items: [], tokenItems: [], tokensEstimated: tokens, slots: [] };
  if (!limits.length) return taken;
  const slots = limits.filter((l) => l.spec.concurrent).map((l) => ({ key: `gov:conc:${l.scope}:${l.id}`, limit: l.spec.concurrent! }));
  const kinds: Array<'requests' | 'tokens'> = [];
  const owners: Scoped<LimitSpec>[] = [];
  for (const l of limits) {
    if (l.spec.requestsPerMinute) {
      taken.items.push({ key: `gov:rpm:${l.scope}:${l.id}`, cost: 1, limit: l.spec.requestsPerMinute, windowMs: MINUTE });
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
  if (slots.length) {
    const c = await quota.acquire(slots);
    if (!c.ok) {
      const l = limits.filter((x) => x.spec.concurrent)[c.index];
      throw new GatewayError(429, `Too many concurrent requests for ${l.scope} "${l.id}": the limit is ${l.spec.concurrent} at once.`, {
        type: 'requests', code: 'concurrency_limit_exceeded', headers: { 'retry-after': '1' },
      });
    }
    taken.slots = slots.map((s) => s.key);
  }
  if (!taken.items.length) return taken;
  const r = await quota.rate(taken.items, Date.now());
  Object.assign(responseHeaders, headers(r.states.filter((_, i) => kinds[i] === 'requests'), r.states.filter((_, i) => kinds[i] === 'tokens')));
  if (!r.ok) {
    await quota.release(taken.slots);
    const item = taken.items[r.index];
    const kind = kinds[r.index];
    const l = owners[r.index];
    const unit = kind === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
    const retry = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    const tooBig = item.cost > item.limit;
    throw new GatewayError(429,
      tooBig
        ? `Request too large for ${l.scope} "${l.id}" on ${unit}: Limit ${item.limit}, Requested ${item.cost}.`
        : `Rate limit reached for ${l.scope} "${l.id}" on ${unit}: Limit ${item.limit}, Requested ${item.cost}. Please try again in ${duration(r.retryAfterMs)}.`,
      { type: kind, code: 'rate_limit_exceeded', headers: { 'retry-after': String(retry), 'retry-after-ms': String(Math.ceil(r.retryAfterMs)) } });
  }
  return taken;
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
