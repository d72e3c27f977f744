/**
 * Basic failover: on a retryable error (timeouts, connection failures, 408/409/429/5xx), retry the
 * same target up to `retries` times with exponential backoff and jitter (honouring Retry-After up to
 * maxBackoffMs), then move to the next target. Non-retryable errors (400/401/403/404) fail at once.
 */
import type { FailoverDecision } from '../../core/hooks.js';
import { definePlugin } from '../../core/plugin.js';

export interface RetryFailoverOptions {
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
}

export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export const retryFailover = definePlugin<RetryFailoverOptions>({
  name: 'retry-failover',
  defaults: { retries: 1, backoffMs: 200, maxBackoffMs: 2000 },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      retries: { type: 'integer', minimum: 0 },
      backoffMs: { type: 'integer', minimum: 0 },
      maxBackoffMs: { type: 'integer', minimum: 0 },
    },
  },
  apply(gateway, opts) {
    const retries = opts.retries!;
    const base = opts.backoffMs!;
    const cap = opts.maxBackoffMs!;
    gateway.hooks.failover.tapPromise({ name: 'retry-failover', stage: gateway.Stage.LATE }, async (info): Promise<FailoverDecision> => {
      const { error, targetAttempts, hasNext } = info;
      if (!error.retryable) return { action: 'fail' };
      if (targetAttempts <= retries) {
        const backoff = base * 2 ** (targetAttempts - 1);
        const jittered = backoff / 2 + Math.random() * (backoff / 2);
        const told = retryAfterMs(error.headers['retry-after']);
        return { action: 'retry', delayMs: Math.min(cap, told ?? jittered) };
      }
      return hasNext ? { action: 'next' } : { action: 'fail' };
    });
  },
});
