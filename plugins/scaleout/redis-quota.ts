/**
 * The governance QuotaStore in Redis: budgets (a hash {spent, held} per counter), GCRA rate limits
 * (the theoretical arrival time per key), concurrency slots and set-once flags. Every method is one
 * Lua script over all its keys (loaded with defineCommand: EVALSHA, EVAL again after a restart), so
 * multi-key calls stay all-or-nothing across instances. GCRA uses the Redis server clock (TIME), so
 * instances with skewed clocks share one notion of "now".
 *
 * A budget counter Redis does not have (first use in a period, or Redis restarted without
 * persistence) is rebuilt from the ledger's persisted spend through the `seeder` before reserving.
 * On Redis Cluster every key of a call must hash to one slot: put a hash tag in the prefix
 * (e.g. "{switchyard}:").
 */
import type { BudgetState, QuotaStore, RateItem, RateResult, RateState, Reservation } from '../governance/index.js';
import type { RedisStore } from './redis-store.js';

/** Persisted spend (picodollars) of budget counters, e.g. `(keys) => ledger.budgetSpend(keys)`. */
export type BudgetSeeder = (keys: string[]) => Promise<Map<string, number>>;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`;

// KEYS: counters. ARGV: check(0|1), then per key: amount, limit, ttlMs (0 none).
// -> {0} ok | {1, index, spent, held} refused | {2, i1, i2...} counters missing (seed them first)
const RESERVE = `
if ARGV[1] == '1' then
  local missing = {2}
  for i = 1, #KEYS do if redis.call('EXISTS', KEYS[i]) == 0 then missing[#missing + 1] = i end end
  if #missing > 1 then return missing end
end
for i = 1, #KEYS do
  local s = redis.call('HMGET', KEYS[i], 'spent', 'held')
  local spent, held = tonumber(s[1] or '0'), tonumber(s[2] or '0')
  local b = 1 + (i - 1) * 3
  if spent + held + tonumber(ARGV[b + 1]) > tonumber(ARGV[b + 2]) then
    return {1, i, tostring(spent), tostring(held)}
  end
end
for i = 1, #KEYS do
  local b = 1 + (i - 1) * 3
  local existed = redis.call('EXISTS', KEYS[i])
  redis.call('HINCRBY', KEYS[i], 'held', ARGV[b + 1])
  if existed == 0 then
    redis.call('HSETNX', KEYS[i], 'spent', 0)
    if tonumber(ARGV[b + 3]) > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[b + 3]) end
  end
end
return {0}`;

// KEYS: counters. ARGV per key: reserved, actual, ttlMs. -> {spent1, held1, spent2, held2, ...}
const SETTLE = `
local out = {}
for i = 1, #KEYS do
  local b = (i - 1) * 3
  local existed = redis.call('EXISTS', KEYS[i])
  local held = redis.call('HINCRBY', KEYS[i], 'held', -tonumber(ARGV[b + 1]))
  if held < 0 then redis.call('HSET', KEYS[i], 'held', 0); held = 0 end
  local spent = redis.call('HINCRBY', KEYS[i], 'spent', ARGV[b + 2])
  if existed == 0 and tonumber(ARGV[b + 3]) > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[b + 3]) end
  out[#out + 1] = tostring(spent)
  out[#out + 1] = tostring(held)
end
return out`;

// KEYS[1]; ARGV: spent, ttlMs
const SEED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'held', 0)
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

// GCRA over all keys, all-or-nothing. ARGV per key: cost, limit, windowMs.
// -> {refusedIndex (0 ok), retryAfterMs, remaining1, reset1, ...}
const RATE = `${NOW}
local n = #KEYS
local refused, retry = 0, 0
local tats, out = {}, {}
for i = 1, n do
  local b = (i - 1) * 3
  local cost, limit, win = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  local interval = win / limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local newTat = tat + cost * interval
  local over = newTat - now - win
  if over > 0 and refused == 0 then
    refused = i
    if cost > limit then retry = win else retry = over end
  end
  tats[i] = newTat
  local basis = newTat
  if over > 0 then basis = tat end
  local remaining = math.floor((win - (basis - now)) / interval)
  if remaining < 0 then remaining = 0 end
  local reset = basis - now
  if reset < 0 then reset = 0 end
  out[#out + 1] = tostring(remaining)
  out[#out + 1] = string.format('%.3f', reset)
end
if refused == 0 then
  for i = 1, n do
    redis.call('SET', KEYS[i], string.format('%.3f', tats[i]), 'PX', math.ceil(tats[i] - now) + 1000)
  end
end
local res = {refused, string.format('%.3f', retry)}
for i = 1, #out do res[#res + 1] = out[i] end
return res`;

// KEYS[1]; ARGV: delta, limit, windowMs
const RATE_ADJUST = `${NOW}
local interval = tonumber(ARGV[3]) / tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
tat = tat + tonumber(ARGV[1]) * interval
if tat <= now then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
return 1`;

// KEYS: slot counters; ARGV: limits..., ttlMs. -> 0 ok | index refused
const ACQUIRE = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then return i end
end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[#ARGV])
end
return 0`;

const RELEASE = `
for i = 1, #KEYS do
  local n = redis.call('DECR', KEYS[i])
  if n <= 0 then redis.call('DEL', KEYS[i]) end
end
return 0`;

type Cmd = (numKeys: number, ...args: Array<string | number>) => Promise<unknown>;

/** A slot a crashed instance never released expires after this long without traffic on the key. */
const SLOT_TTL_MS = 300_000;

export class RedisQuotaStore implements QuotaStore {
  readonly #cmd: Record<string, Cmd>;

  constructor(
    private readonly store: RedisStore,
    public seeder?: BudgetSeeder,
  ) {
    const c = store.client;
    const scripts = {
      syReserve: RESERVE,
      sySettle: SETTLE,
      sySeed: SEED,
      syRate: RATE,
      syRateAdjust: RATE_ADJUST,
      syAcquire: ACQUIRE,
      syRelease: RELEASE,
    };
    for (const [name, lua] of Object.entries(scripts)) if (!(name in c)) c.defineCommand(name, { lua });
    const any = c as unknown as Record<string, Cmd>;
    // Every admission command is bounded by the store's admission timeout (not the cache's).
    this.#cmd = Object.fromEntries(
      Object.keys(scripts).map((n) => [n, (...args: Parameters<Cmd>) => store.admission(any[n].call(c, ...args))]),
    );
  }

  /** Seeds in flight: a burst of requests that all find a counter missing reads the ledger once for it. */
  readonly #seeding = new Map<string, Promise<void>>();

  #seedOnce(key: string, ttlMs?: number): Promise<void> {
    let p = this.#seeding.get(key);
    if (!p) {
      p = (async () => {
        try {
          const spent = await this.seeder!([key]);
          await this.seed(key, spent.get(key) ?? 0, ttlMs);
        } finally {
          this.#seeding.delete(key);
        }
      })();
      this.#seeding.set(key, p);
    }
    return p;
  }

  #budgetKey(k: string) {
    return `q:${k}`;
  }

  async reserve(items: Reservation[]): Promise<{ ok: true } | { ok: false; index: number; state: BudgetState }> {
    if (!items.length) return { ok: true };
    try {
      const keys = items.map((i) => this.#budgetKey(i.key));
      const args = items.flatMap((i) => [Math.round(i.amount), Math.round(i.limit), i.ttlMs ? Math.ceil(i.ttlMs) : 0]);
      let r = (await this.#cmd.syReserve(keys.length, ...keys, this.seeder ? '1' : '0', ...args)) as Array<
        number | string
      >;
      if (r[0] === 2) {
        const missing = r.slice(1).map((i) => items[Number(i) - 1]);
        await Promise.all(missing.map((m) => this.#seedOnce(m.key, m.ttlMs)));
        r = (await this.#cmd.syReserve(keys.length, ...keys, '0', ...args)) as Array<number | string>;
      }
      if (r[0] === 0) return { ok: true };
      return { ok: false, index: Number(r[1]) - 1, state: { spent: Number(r[2]), held: Number(r[3]) } };
    } catch (e) {
      return this.store.fail('budgets', e, { ok: true } as const);
    }
  }

  async settle(
    items: Array<{ key: string; reserved: number; actual: number; ttlMs?: number }>,
  ): Promise<BudgetState[]> {
    if (!items.length) return [];
    try {
      const keys = items.map((i) => this.#budgetKey(i.key));
      const args = items.flatMap((i) => [
        Math.round(i.reserved),
        Math.round(i.actual),
        i.ttlMs ? Math.ceil(i.ttlMs) : 0,
      ]);
      const r = (await this.#cmd.sySettle(keys.length, ...keys, ...args)) as string[];
      return items.map((_, i) => ({ spent: Number(r[i * 2]), held: Number(r[i * 2 + 1]) }));
    } catch (e) {
      // The answer is already out: never fail the request here; the ledger keeps the charge.
      try {
        return this.store.fail(
          'budgets',
          e,
          items.map(() => ({ spent: 0, held: 0 })),
        );
      } catch {
        return items.map(() => ({ spent: 0, held: 0 }));
      }
    }
  }

  async get(key: string): Promise<BudgetState> {
    try {
      const [spent, held] = await this.store.admission(this.store.client.hmget(this.#budgetKey(key), 'spent', 'held'));
      return { spent: Number(spent ?? 0), held: Number(held ?? 0) };
    } catch {
      return { spent: 0, held: 0 }; // display only (/admin/budgets, /metrics): never refuse here
    }
  }

  async seed(key: string, spent: number, ttlMs?: number): Promise<void> {
    try {
      await this.#cmd.sySeed(1, this.#budgetKey(key), Math.round(spent), ttlMs ? Math.ceil(ttlMs) : 0);
    } catch {
      // reserve() applies the policy; a counter Redis lacks is seeded again there (seeder)
    }
  }

  async rate(items: RateItem[], _now: number): Promise<RateResult> {
    if (!items.length) return { ok: true, states: [] };
    try {
      const keys = items.map((i) => `r:${i.key}`);
      const r = (await this.#cmd.syRate(
        keys.length,
        ...keys,
        ...items.flatMap((i) => [i.cost, i.limit, i.windowMs]),
      )) as Array<number | string>;
      const states: RateState[] = items.map((it, i) => ({
        limit: it.limit,
        remaining: Number(r[2 + i * 2]),
        resetMs: Number(r[3 + i * 2]),
      }));
      const refused = Number(r[0]);
      if (!refused) return { ok: true, states };
      return { ok: false, index: refused - 1, retryAfterMs: Number(r[1]), states };
    } catch (e) {
      return this.store.fail('rateLimits', e, {
        ok: true,
        states: items.map((i) => ({ limit: i.limit, remaining: i.limit, resetMs: 0 })),
      });
    }
  }

  async rateAdjust(item: RateItem, delta: number, _now: number): Promise<void> {
    try {
      await this.#cmd.syRateAdjust(1, `r:${item.key}`, delta, item.limit, item.windowMs);
    } catch {
      // a correction after the answer: dropping it only makes the window slightly off
    }
  }

  async acquire(items: Array<{ key: string; limit: number }>): Promise<{ ok: true } | { ok: false; index: number }> {
    if (!items.length) return { ok: true };
    try {
      const keys = items.map((i) => `c:${i.key}`);
      const r = Number(await this.#cmd.syAcquire(keys.length, ...keys, ...items.map((i) => i.limit), SLOT_TTL_MS));
      return r === 0 ? { ok: true } : { ok: false, index: r - 1 };
    } catch (e) {
      return this.store.fail('rateLimits', e, { ok: true } as const);
    }
  }

  async release(keys: string[]): Promise<void> {
    if (!keys.length) return;
    try {
      await this.#cmd.syRelease(keys.length, ...keys.map((k) => `c:${k}`));
    } catch {
      // the slot expires with SLOT_TTL_MS
    }
  }

  async once(key: string, ttlMs?: number): Promise<boolean> {
    try {
      const r = ttlMs
        ? await this.store.admission(this.store.client.set(`f:${key}`, '1', 'PX', Math.ceil(ttlMs), 'NX'))
        : await this.store.admission(this.store.client.set(`f:${key}`, '1', 'NX'));
      return r === 'OK';
    } catch {
      return false; // alert dedup: better a missed alert than a duplicate storm
    }
  }

  async close(): Promise<void> {
    // the connection belongs to the RedisStore (closed by the gateway)
  }
}
