/**
 * Alerts to the log and to webhooks: JSON body signed with HMAC-SHA256 (`x-switchyard-signature:
 * sha256=<hex>` over the exact body bytes), delivered with undici, retried with exponential backoff
 * on network errors and non-2xx answers. Never awaited by a request.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { httpRequest } from '../../core/upstream.js';
import type { AlertsConfig } from './types.js';

export interface Alert {
  type: 'budget.threshold' | 'budget.exhausted' | 'spend.spike';
  scope: 'key' | 'project' | 'model' | 'global' | 'user';
  id: string;
  [k: string]: unknown;
}

export const SIGNATURE_HEADER = 'x-switchyard-signature';

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class Alerter {
  #inflight = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly config: AlertsConfig,
    private readonly log: Logger,
    /** Also told every alert (the gateway's audit hook). */
    private readonly onAlert?: (alert: Alert, time: number) => void,
  ) {}

  send(alert: Alert): void {
    const now = Date.now();
    const event = { ...alert, time: new Date(now).toISOString() };
    this.log.warn({ alert: event }, 'governance alert');
    this.onAlert?.(alert, now);
    for (const hook of this.config.webhooks ?? []) {
      const p = this.#deliver(hook.url, hook.secret, JSON.stringify(event)).finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }
  }

  async #deliver(url: string, secret: string | undefined, body: string): Promise<void> {
    const attempts = this.config.attempts ?? 4;
    let delay = this.config.backoffMs ?? 500;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'switchyard-alerts' };
    if (secret) headers[SIGNATURE_HEADER] = sign(body, secret);
    for (let i = 1; i <= attempts && !this.#closed; i++) {
      try {
        const res = await httpRequest(url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        this.log.warn({ status: res.statusCode, attempt: i }, 'alert webhook answered an error');
      } catch (err) {
        this.log.warn({ err: { message: (err as Error).message }, attempt: i }, 'alert webhook failed');
      }
      if (i < attempts) await new Promise((r) => setTimeout(r, delay).unref());
      delay *= 2;
    }
  }

  /** Wait for deliveries in flight (bounded), then stop retrying. */
  async close(timeoutMs = 5000): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#inflight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.#closed = true;
  }
}
