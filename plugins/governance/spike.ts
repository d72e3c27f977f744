/**
 * Spend-spike alert: every checkIntervalMs, compare each key's and project's spend over the last
 * hour with its average hourly spend over the trailing hours before it (from the ledger); above
 * `multiple` times that average (and at least minUsd), alert once per scope per trailing window.
 */
import type { Logger } from 'pino';
import type { Alerter } from './alerts.js';
import type { LedgerBatcher } from './ledger/batcher.js';
import type { Ledger } from './ledger/types.js';
import type { QuotaStore } from './quota.js';
import type { AlertsConfig } from './types.js';

const HOUR = 3_600_000;

export class SpikeWatch {
  readonly #timer?: NodeJS.Timeout;
  readonly #o: { multiple: number; trailingHours: number; minUsd: number; checkIntervalMs: number };

  constructor(
    config: AlertsConfig['spike'],
    private readonly ledger: Ledger,
    private readonly batcher: LedgerBatcher,
    private readonly quota: QuotaStore,
    private readonly alerter: Alerter,
    private readonly log: Logger,
  ) {
    this.#o = { multiple: 3, trailingHours: 24, minUsd: 1, checkIntervalMs: 60_000, ...(config || {}) };
    if (config === false) return;
    this.#timer = setInterval(
      () => void this.check().catch((err) => this.log.warn({ err: { message: err.message } }, 'spike check failed')),
      this.#o.checkIntervalMs,
    );
    this.#timer.unref();
  }

  async check(now = Date.now()): Promise<number> {
    await this.batcher.flush();
    const o = this.#o;
    let sent = 0;
    for (const scope of ['key', 'project'] as const) {
      const last = await this.ledger.spendBy(scope, now - HOUR, now);
      const before = await this.ledger.spendBy(scope, now - HOUR * (o.trailingHours + 1), now - HOUR);
      for (const [id, pusd] of last) {
        const lastUsd = pusd / 1e12;
        const avgUsd = (before.get(id) ?? 0) / 1e12 / o.trailingHours;
        if (lastUsd < o.minUsd || lastUsd <= o.multiple * avgUsd) continue;
        if (!(await this.quota.once(`gov:spike:${scope}:${id}`, HOUR * o.trailingHours))) continue;
        this.alerter.send({
          type: 'spend.spike',
          scope,
          id,
          lastHourUsd: lastUsd,
          trailingHourlyAvgUsd: avgUsd,
          multiple: o.multiple,
        });
        sent++;
      }
    }
    return sent;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
