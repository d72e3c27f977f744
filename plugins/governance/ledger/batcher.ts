/**
 * Batched ledger writes off the hot path: records are queued and written on a timer or once the
 * batch is full, in one transaction. flush() also runs before reads and at shutdown.
 */
import type { Logger } from 'pino';
import type { Ledger, LedgerEntry } from './types.js';

export class LedgerBatcher {
  #queue: LedgerEntry[] = [];
  #timer: NodeJS.Timeout;
  #pending: Promise<void> = Promise.resolve();
  #soon = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly log: Logger,
    intervalMs: number,
    private readonly maxBatch: number,
  ) {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  push(entry: LedgerEntry): void {
    this.#queue.push(entry);
    if (this.#queue.length >= this.maxBatch && !this.#soon) {
      this.#soon = true;
      setImmediate(() => {
        this.#soon = false;
        void this.flush();
      });
    }
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Write everything queued so far. Never rejects (a failed batch is logged and dropped). */
  flush(): Promise<void> {
    this.#pending = this.#pending.then(async () => {
      if (!this.#queue.length) return;
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.ledger.append(batch);
      } catch (err) {
        this.log.error({ err: { message: (err as Error).message }, records: batch.length }, 'ledger write failed');
      }
    });
    return this.#pending;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
