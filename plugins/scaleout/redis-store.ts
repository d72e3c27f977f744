/**
 * The Redis store (ioredis): the gateway Store (exact-cache entries, circuit-breaker state, any
 * plugin state), the governance QuotaStore (budgets, GCRA rate limits, concurrency slots, alert
 * flags; one Lua script per call, see redis-quota.ts) and the shared key revocation list, so that
 * every guarantee holds across several gateway instances.
 *
 * Outage behaviour: no offline queue (a command fails at once while the connection is down: an
 * unreachable server is never waited for), reconnect with capped exponential backoff, and a
 * per-feature policy (policy.ts) applied where a command fails. Transitions are logged once; every
 * decision the policy takes is counted (switchyard_store_outage_decisions_total) and logged, at most
 * once per DECISION_LOG_MS per feature and reason, with the number of decisions since the last line.
 *
 * Slow is not unreachable. A command's timeout is judged by `deadline()`, not by a bare timer: a
 * timer that fires on a busy event loop (a gateway under CPU load) may fire before the loop has
 * read a reply that arrived long ago, so on expiry the verdict waits for one poll phase (the reply,
 * if in, is read first), and a timer that fired late (the loop was blocked) is given that time again
 * once. Admission commands (rate limits, concurrency, budgets: the QuotaStore) get their own longer
 * timeout (`admissionTimeoutMs`, default 1000 ms); cache and breaker reads keep the short
 * `commandTimeoutMs` (default 100 ms: a slow cache read is only a miss). A command that times out
 * while connected is logged with reason "timeout"; a failure while disconnected with "unreachable".
 */
import { sha256 } from '../../core/hash.js';
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Counter, Gauge, Registry } from 'prom-client';
import { loadPromClient, loadRedis } from '../../core/optional-deps.js';
import { GatewayError } from '../../core/errors.js';
import type { Gateway } from '../../core/gateway-types.js';
import type { Store } from '../../core/store.js';
import type { Ledger, StoredKey } from '../governance/index.js';
import { presentedKey } from '../../core/credentials.js';
import { checkRedisOptions } from './options.js';
import { checkPolicy, unavailable, type Feature, type OutagePolicy } from './policy.js';
import { RedisQuotaStore, type BudgetSeeder } from './redis-quota.js';

export interface RedisStoreOptions {
  /** redis://[:password@]host:port[/db], rediss:// for TLS. Default redis://127.0.0.1:6379. */
  url?: string;
  /** Prefix of every key and channel, e.g. "switchyard:prod:". Default "switchyard:". */
  prefix?: string;
  /** Timeout (ms) of cache and breaker commands (a late answer is a miss). Default 100. */
  commandTimeoutMs?: number;
  /**
   * Timeout (ms) of admission commands: rate limits, concurrency slots, budgets. A timeout while
   * connected applies the outage policy, so it is long enough that a busy event loop or a Redis
   * under load is not mistaken for an outage. Default 1000.
   */
  admissionTimeoutMs?: number;
  /** Connect timeout (ms). Default 1000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff: first delay, doubled per attempt, capped at maxBackoffMs. Default 50 / 2000 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** What each feature does while Redis is unreachable. See policy.ts and docs/deploy.md. */
  onOutage?: OutagePolicy;
  /** Answer 503 on /ready while Redis is down (take the instance out of rotation). Default false. */
  notReadyWhenDown?: boolean;
  /** Extra ioredis options (Sentinel, TLS, ...); `url` still applies. */
  ioredis?: RedisOptions;
}

const sha256hex = (s: string) => sha256(s, 'hex');

/** How often (at most) the same kind of policy decision is logged. */
export const DECISION_LOG_MS = 10_000;

/** A command that did not answer within its timeout while the connection was up. */
export class SlowCommand extends Error {
  constructor(readonly ms: number) {
    super(`Redis command timed out after ${ms} ms`);
    this.name = 'SlowCommand';
  }
}

/**
 * `p`, or a SlowCommand rejection after `ms` of event-loop time that Redis had to answer: when the
 * timer fires late (the loop was blocked), it is re-armed once for the time it was late; at expiry
 * the verdict waits one poll phase (setImmediate), so a reply already received is read first.
 */
export function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let extended = false;
    let due = performance.now() + ms;
    const judge = () =>
      setImmediate(() => {
        if (done) return;
        done = true;
        reject(new SlowCommand(ms));
      });
    const check = () => {
      const late = performance.now() - due;
      if (!extended && late > Math.min(ms, 20)) {
        extended = true;
        due = performance.now() + Math.min(late, ms);
        timer = setTimeout(check, Math.min(late, ms));
        return;
      }
      judge();
    };
    let timer = setTimeout(check, ms);
    p.then(
      (v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Which feature a Store key belongs to (for the outage policy). */
function featureOf(key: string): Feature {
  if (key.startsWith('cache:')) return 'cache';
  if (key.startsWith('breaker:')) return 'breaker';
  return 'cache';
}

const INCREMENT = `
local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if existed == 0 and ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return v`;

export class RedisStore implements Store {
  readonly client: Redis;
  readonly prefix: string;
  readonly policy: ReturnType<typeof checkPolicy>;
  readonly metrics: Registry;
  readonly #o: RedisStoreOptions;
  #log: Logger | undefined;
  #up = false;
  #everUp = false;
  #downSince: number | null = Date.now();
  #lastError: string | undefined;
  #subscriber: Redis | undefined;
  #quota: RedisQuotaStore | undefined;
  /** sha256 hex of revoked keys -> revokedAt (shared through Redis, kept locally). */
  readonly revoked = new Map<string, number>();
  readonly #decisions: Counter<'feature' | 'outcome'>;
  readonly #upGauge: Gauge;
  readonly #errors: Counter;
  readonly #commandMs: number;
  readonly #admissionMs: number;
  /** feature/outcome/reason -> decisions since the last log line, and when that line was written. */
  readonly #decisionLog = new Map<string, { count: number; loggedAt: number }>();
  #closed = false;

  constructor(options: RedisStoreOptions = {}) {
    checkRedisOptions(options);
    this.#o = options;
    this.policy = checkPolicy(options.onOutage);
    this.prefix = options.prefix ?? 'switchyard:';
    const backoff = options.backoffMs ?? 50;
    const maxBackoff = options.maxBackoffMs ?? 2000;
    const { Redis } = loadRedis();
    const { Counter, Gauge, Registry } = loadPromClient();
    this.metrics = new Registry();
    this.#commandMs = options.commandTimeoutMs ?? 100;
    this.#admissionMs = options.admissionTimeoutMs ?? 1000;
    this.client = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      // A backstop only (it drops commands a silent server never answers); deadline() decides.
      commandTimeout: Math.max(this.#commandMs, this.#admissionMs) * 5,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(maxBackoff, backoff * 2 ** Math.min(times - 1, 16)),
      ...options.ioredis,
      keyPrefix: this.prefix,
    });
    this.client.defineCommand('syIncr', { numberOfKeys: 1, lua: INCREMENT });
    this.client.on('ready', () => this.#setUp(true));
    this.client.on('close', () => this.#setUp(false));
    this.client.on('error', (err) => {
      this.#lastError = err.message;
    });
    const registers = [this.metrics];
    this.#upGauge = new Gauge({
      name: 'switchyard_store_up',
      help: 'Shared state store (Redis) reachable: 1 yes, 0 no.',
      registers,
    });
    this.#decisions = new Counter({
      name: 'switchyard_store_outage_decisions_total',
      help:
        'Requests decided by the outage policy while Redis was unreachable, ' +
        'by feature and outcome (open: allowed, closed: refused).',
      labelNames: ['feature', 'outcome'],
      registers,
    });
    this.#errors = new Counter({
      name: 'switchyard_store_errors_total',
      help: 'Redis commands that failed (timeouts, connection errors).',
      registers,
    });
  }

  get up(): boolean {
    return this.#up;
  }

  /** Resolves once connected, or after `timeoutMs` (default: the connect timeout) either way; true if up. */
  async ready(timeoutMs = this.#o.connectTimeoutMs ?? 1000): Promise<boolean> {
    if (!this.#up) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.client.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.client.once('ready', done);
      });
    }
    return this.#up;
  }

  #setUp(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    this.#upGauge.set(up ? 1 : 0);
    if (up) {
      const downMs = this.#downSince ? Date.now() - this.#downSince : 0;
      this.#downSince = null;
      if (this.#everUp) this.#log?.info({ downMs }, 'redis store: connection restored');
      this.#everUp = true;
    } else {
      this.#downSince = Date.now();
      if (!this.#closed)
        this.#log?.warn(
          { err: this.#lastError, policy: this.policy },
          'redis store: connection lost; applying the outage policy until it returns',
        );
    }
  }

  /** A cache or breaker command, bounded by commandTimeoutMs (see deadline()). */
  command<T>(p: Promise<T>): Promise<T> {
    return deadline(p, this.#commandMs);
  }

  /** An admission command (QuotaStore), bounded by admissionTimeoutMs (see deadline()). */
  admission<T>(p: Promise<T>): Promise<T> {
    return deadline(p, this.#admissionMs);
  }

  /** Apply the outage policy to a failed command: the fail-open value, or a 503. Logged (rate-limited). */
  fail<T>(feature: Feature, err: unknown, openValue: T): T {
    this.#errors.inc();
    this.#lastError = (err as Error)?.message ?? String(err);
    if (err instanceof GatewayError) throw err;
    const policy = feature === 'breaker' ? 'open' : this.policy[feature];
    this.#decisions.inc({ feature, outcome: policy });
    this.#logDecision(
      feature,
      policy,
      err instanceof SlowCommand && this.client.status === 'ready' ? 'timeout' : 'unreachable',
    );
    if (policy === 'closed') throw unavailable(feature, err);
    return openValue;
  }

  /** One line per feature, outcome and reason at most every DECISION_LOG_MS, with the count since the last. */
  #logDecision(feature: Feature, outcome: 'open' | 'closed', reason: 'timeout' | 'unreachable'): void {
    // a miss / a closed breaker: harmless, counted in /metrics
    if (feature === 'cache' || feature === 'breaker') return;
    const k = `${feature}:${outcome}:${reason}`;
    const now = Date.now();
    const e = this.#decisionLog.get(k) ?? { count: 0, loggedAt: 0 };
    this.#decisionLog.set(k, e);
    e.count++;
    if (now - e.loggedAt < DECISION_LOG_MS) return;
    const what = { rateLimits: 'rate limits', budgets: 'budgets', keys: 'key checks' }[feature];
    this.#log?.warn(
      {
        feature,
        outcome,
        reason,
        decisions: e.count,
        lastError: this.#lastError,
        ...(reason === 'timeout' ? { timeoutMs: this.#admissionMs } : {}),
      },
      `redis store: ${what} failed ${outcome} ` +
        `(${reason === 'timeout' ? 'a command timed out while connected' : 'Redis unreachable'})`,
    );
    e.count = 0;
    e.loggedAt = now;
  }

  /** The governance QuotaStore sharing this connection. `seeder` rebuilds budget counters Redis lost. */
  quota(seeder?: BudgetSeeder): RedisQuotaStore {
    if (!this.#quota) this.#quota = new RedisQuotaStore(this, seeder);
    else if (seeder) this.#quota.seeder = seeder;
    return this.#quota;
  }

  // --- Store ---
  async get<T = unknown>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.command(this.client.get(key));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch (e) {
      return this.fail(featureOf(key), e, undefined);
    }
  }

  async getMany<T = unknown>(keys: string[]): Promise<Array<T | undefined>> {
    if (!keys.length) return [];
    try {
      const raw = await this.client.mget(...keys);
      return raw.map((r) => (r === null ? undefined : (JSON.parse(r) as T)));
    } catch (e) {
      return this.fail(
        featureOf(keys[0]),
        e,
        keys.map(() => undefined),
      );
    }
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    try {
      const v = JSON.stringify(value);
      if (ttlMs) await this.command(this.client.set(key, v, 'PX', Math.max(1, Math.ceil(ttlMs))));
      else await this.command(this.client.set(key, v));
    } catch (e) {
      this.fail(featureOf(key), e, undefined);
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.command(this.client.del(key))) > 0;
    } catch (e) {
      return this.fail(featureOf(key), e, false);
    }
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    try {
      const v = await this.command(
        (this.client as unknown as { syIncr(k: string, by: string, ttl: string): Promise<string> }).syIncr(
          key,
          String(by),
          String(ttlMs ? Math.ceil(ttlMs) : 0),
        ),
      );
      return Number(v);
    } catch (e) {
      return this.fail(featureOf(key), e, by);
    }
  }

  // --- key revocations ---
  /**
   * Wrap a ledger so that saving a revoked runtime key also records the revocation in Redis and
   * publishes it: every instance refuses the key within the pub/sub delay (milliseconds).
   */
  watchKeys(ledger: Ledger): Ledger {
    const self = this;
    return new Proxy(ledger, {
      get(target, prop, receiver) {
        if (prop === 'saveKey') {
          return async (k: StoredKey) => {
            await target.saveKey(k);
            if (k.revokedAt) await self.publishRevocation(k.hash, k.revokedAt);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  async publishRevocation(hashHex: string, revokedAt: number): Promise<void> {
    this.revoked.set(hashHex, revokedAt);
    try {
      await this.client.hset('keys:revoked', hashHex, String(revokedAt));
      await this.client.publish(`${this.prefix}keys:events`, JSON.stringify({ revoked: hashHex, at: revokedAt }));
    } catch (e) {
      this.#errors.inc();
      throw new GatewayError(
        503,
        'The key was revoked in the ledger, but the revocation could not be shared with the other instances ' +
          '(Redis unreachable). Retry the revocation.',
        {
          type: 'server_error',
          code: 'store_unavailable',
          cause: e,
        },
      );
    }
  }

  async #loadRevoked(): Promise<void> {
    const all = await this.client.hgetall('keys:revoked');
    for (const [h, at] of Object.entries(all)) this.revoked.set(h, Number(at));
  }

  // --- gateway integration ---
  async attach(gateway: Gateway): Promise<void> {
    this.#log = gateway.log.child({ component: 'redis-store' });
    // Boot: wait (bounded by the connect timeout) for the first connection, so the first requests do
    // not meet the outage policy only because the socket is still opening.
    await this.ready();
    if (!this.#up)
      this.#log.warn(
        { err: this.#lastError },
        'redis store: not connected at start; applying the outage policy until it connects',
      );
    // Revocations: pub/sub for immediacy; the whole list again on every (re)connect.
    const sub = (this.#subscriber = this.client.duplicate({
      keyPrefix: '',
      enableOfflineQueue: true,
      commandTimeout: undefined,
    }));
    sub.on('error', () => undefined);
    sub.on('message', (_channel: string, message: string) => {
      try {
        const m = JSON.parse(message) as { revoked?: string; at?: number };
        if (m.revoked) this.revoked.set(m.revoked, m.at ?? Date.now());
      } catch {
        /* ignore foreign messages */
      }
    });
    sub.on('ready', () => {
      this.#loadRevoked().catch(() => undefined);
    });
    sub.subscribe(`${this.prefix}keys:events`).catch(() => undefined);
    if (this.#up) await this.#loadRevoked().catch(() => undefined);

    gateway.readiness.add('redis', () => ({
      ready: this.#up || !this.#o.notReadyWhenDown,
      state: this.#up ? 'up' : 'down',
      ...(this.#up
        ? {}
        : { downSinceMs: this.#downSince ? Date.now() - this.#downSince : null, lastError: this.#lastError }),
      policy: this.policy,
    }));
  }

  /**
   * Refuse revoked keys before any other auth (installed by sharedGovernance, where virtual keys
   * exist: tapping auth makes client auth mandatory, so the store never does it on its own).
   */
  guardRevocations(gateway: Gateway): void {
    gateway.hooks.auth.tapPromise({ name: 'redis-revocations', stage: gateway.Stage.FIRST }, async (ctx) => {
      const presented = presentedKey(ctx.headers);
      if (!presented) return undefined;
      if (this.revoked.has(sha256hex(presented))) {
        throw new GatewayError(401, 'This API key has been revoked.', {
          type: 'authentication_error',
          code: 'api_key_revoked',
        });
      }
      if (!this.#up && this.policy.keys === 'closed') return this.fail('keys', new Error('redis down'), undefined);
      return undefined;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscriber?.disconnect();
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
    } catch {
      this.client.disconnect();
    }
  }
}

/** `store: redis({ url })`: the shared Redis store. */
export function redis(options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore(options);
}
