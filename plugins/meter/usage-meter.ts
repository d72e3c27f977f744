/**
 * Usage meter: one metadata-only log line per request (ids, model, provider, status, latency, token
 * counts; never content, never a key) and running totals per provider/model, readable with
 * `summary()` and kept in the gateway store as counters (flushed every second) so they aggregate
 * across instances. At most MAX_TRACKED_TARGETS provider/model pairs get their own totals (clients
 * choose model names); later ones are summed under "other".
 */
import { CappedLabel, MAX_TRACKED_TARGETS } from '../../core/bounded.js';
import { infoLine } from '../../core/logger.js';
import { definePlugin, type Plugin } from '../../core/plugin.js';
import type { UsageRecord } from '../../core/usage.js';
import { modelKey } from '../../core/target-key.js';
import { usageJsonBytes } from '../../core/usage-json.js';

export interface UsageMeterOptions {
  /** Write the per-request log line. Default true. */
  log?: boolean;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  latencyMsTotal: number;
}

const empty = (): UsageTotals => ({
  requests: 0,
  errors: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  reasoningTokens: 0,
  latencyMsTotal: 0,
});

export interface UsageMeterPlugin extends Plugin {
  /** Totals since start, keyed by "provider/model" (or "-" when no target was reached; "other" past the cap). */
  summary(): Record<string, UsageTotals>;
}

export function usageMeter(options: UsageMeterOptions = {}): UsageMeterPlugin {
  const totals = new Map<string, UsageTotals>();
  const targets = new CappedLabel(MAX_TRACKED_TARGETS);
  /** The store counters' names per totals key (bounded like the keys: MAX_TRACKED_TARGETS + "other" + "-"). */
  const counterNames = new Map<string, [string, string]>();
  const base = definePlugin<UsageMeterOptions>({
    name: 'usage-meter',
    defaults: { log: true },
    schema: { type: 'object', additionalProperties: false, properties: { log: { type: 'boolean' } } },
    apply(gateway, opts) {
      // The gateway logger with the request id, not ctx.log: a per-request child logger costs more than
      // the line itself; and the line assembled by infoLine, not through pino's generic path (bench/).
      // The record's JSON written as bytes from its fields when it has the usual shape (core/usage-json.ts).
      const usageLine = infoLine<UsageRecord>(gateway.log, 'usage', 'request', usageJsonBytes);
      // Synchronous: nothing here waits, and a sync tap costs the meter no promise (core/pipeline.ts).
      gateway.hooks.meter.tap({ name: 'usage-meter', stage: gateway.Stage.NORMAL }, (r: UsageRecord, ctx) => {
        const key = r.provider ? targets.of(modelKey(r.provider, String(r.model))) : '-';
        const t = totals.get(key) ?? empty();
        totals.set(key, t);
        t.requests++;
        if (r.status >= 400) t.errors++;
        t.promptTokens += r.promptTokens;
        t.completionTokens += r.completionTokens;
        t.cachedTokens += r.cachedTokens;
        t.reasoningTokens += r.reasoningTokens;
        t.latencyMsTotal += r.latencyMs;
        if (opts.log) usageLine(ctx.id, r);
        const names =
          counterNames.get(key) ?? counterNames.set(key, [`usage:${key}:requests`, `usage:${key}:tokens`]).get(key)!;
        add(names[0], 1);
        add(names[1], r.totalTokens);
      });
      // Store counters are summed in memory and flushed once a second (and at shutdown): two store
      // round trips per request were measurable in bench/, and a Redis store would make them network calls.
      const pending = new Map<string, number>();
      const add = (k: string, n: number) => {
        if (n) pending.set(k, (pending.get(k) ?? 0) + n);
      };
      const flush = async () => {
        const batch = [...pending];
        pending.clear();
        await Promise.all(batch.map(([k, n]) => gateway.store.increment(k, n)));
      };
      const timer = setInterval(
        () => flush().catch((err) => gateway.log.warn({ err: String(err) }, 'usage counters flush failed')),
        1000,
      );
      timer.unref();
      gateway.hooks.close.tapPromise('usage-meter', async () => {
        clearInterval(timer);
        await flush();
      });
    },
  })(options);
  return { ...base, summary: () => Object.fromEntries([...totals].map(([k, v]) => [k, { ...v }])) };
}
