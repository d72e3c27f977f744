/**
 * One sink's delivery queue: a bounded in-memory buffer, batches sent one at a time in order, and
 * retries with exponential backoff while the sink fails. Events are removed only once the sink
 * confirmed them (at-least-once); a failed event stays at the front with its id. When the buffer
 * is full (the sink has been down long enough), new events are dropped and counted, never the
 * buffered ones: nothing inside the bound is lost. push() never blocks a request.
 */
import type { Logger } from 'pino';
import type { ExportEvent } from './events.js';

export interface Sink {
  readonly name: string;
  /**
   * Publish a batch; resolves with one flag per event (true: the broker confirmed it) and the first
   * error. Throwing means none was confirmed. Events may be published again after a failure, with the
   * same id.
   */
  publish(batch: ExportEvent[]): Promise<PublishResult>;
  close(): Promise<void>;
}

export interface PublishResult {
  ok: boolean[];
  error?: string;
}

/** Per-event flags of settled publishes, and the first failure's message. */
export function settled(results: PromiseSettledResult<unknown>[], label: string): PublishResult {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const reason = failed?.reason as { message?: string } | undefined;
  return {
    ok: results.map((r) => r.status === 'fulfilled'),
    ...(failed ? { error: `${label}: ${reason?.message ?? String(reason)}` } : {}),
  };
}

export interface QueueOptions {
  maxBuffered: number;
  batchSize: number;
  flushIntervalMs: number;
  retryMs: number;
  maxRetryMs: number;
}

export interface SinkStats {
  sink: string;
  up: boolean;
  buffered: number;
  published: number;
  /** Events lost: the buffer was full, or still queued when shutdown's time ran out. */
  dropped: number;
  /** Failed publish calls (each retried). */
  failures: number;
  lastError?: string;
}

/** Longest wait for one batch, whatever the sink's own timeouts. */
const PUBLISH_TIMEOUT_MS = 60_000;

export class SinkQueue {
  #buffer: ExportEvent[] = [];
  #sending = false;
  #timer: NodeJS.Timeout;
  #retryTimer: NodeJS.Timeout | undefined;
  #delay: number;
  #up = true;
  #closed = false;
  #published = 0;
  #dropped = 0;
  #failures = 0;
  #lastError: string | undefined;
  #droppedSinceLog = 0;
  #idle: Array<() => void> = [];

  constructor(
    readonly sink: Sink,
    private readonly o: QueueOptions,
    private readonly log: Logger,
  ) {
    this.#delay = o.retryMs;
    this.#timer = setInterval(() => this.#kick(), o.flushIntervalMs);
    this.#timer.unref();
  }

  push(event: ExportEvent): void {
    if (this.#closed) {
      this.#dropped++; // e.g. the record of a losing hedge that settled after shutdown
      return;
    }
    if (this.#buffer.length >= this.o.maxBuffered) {
      this.#dropped++;
      if (this.#droppedSinceLog++ === 0) {
        this.log.error(
          { sink: this.sink.name, maxBuffered: this.o.maxBuffered, dropped: this.#dropped },
          'export: buffer full while the sink is unreachable; events dropped (counted in /ready)',
        );
      }
      return;
    }
    this.#buffer.push(event);
    if (this.#buffer.length >= this.o.batchSize && this.#up) setImmediate(() => this.#kick());
  }

  get stats(): SinkStats {
    return {
      sink: this.sink.name,
      up: this.#up,
      buffered: this.#buffer.length,
      published: this.#published,
      dropped: this.#dropped,
      failures: this.#failures,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /** Send batches until the buffer is empty or a publish fails (then retry after the backoff). */
  #kick(): void {
    if (this.#sending || this.#retryTimer || !this.#buffer.length) return;
    this.#sending = true;
    void this.#drain().finally(() => {
      this.#sending = false;
      if (!this.#buffer.length) for (const done of this.#idle.splice(0)) done();
    });
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length) {
      const batch = this.#buffer.slice(0, this.o.batchSize);
      let ok: boolean[];
      try {
        // A publish that never settles (a half-open connection) must not stall the queue for good.
        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([
          this.sink.publish(batch),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('publish timed out')), PUBLISH_TIMEOUT_MS);
          }),
        ]).finally(() => clearTimeout(timer));
        ok = r.ok;
        if (r.error) this.#lastError = r.error;
      } catch (e) {
        ok = batch.map(() => false);
        this.#lastError = (e as Error).message;
      }
      const confirmed = new Set(batch.filter((_, i) => ok[i]));
      if (confirmed.size) {
        this.#buffer = this.#buffer.filter((e) => !confirmed.has(e));
        this.#published += confirmed.size;
      }
      if (confirmed.size < batch.length) {
        this.#fail();
        return;
      }
      this.#recovered();
    }
  }

  #fail(): void {
    this.#failures++;
    if (this.#up) {
      this.#up = false;
      this.log.warn(
        { sink: this.sink.name, err: { message: this.#lastError }, buffered: this.#buffer.length },
        'export: publishing failed; buffering events and retrying',
      );
    }
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.o.maxRetryMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, delay);
    this.#retryTimer.unref();
  }

  #recovered(): void {
    this.#delay = this.o.retryMs;
    if (!this.#up) {
      this.#up = true;
      this.log.info({ sink: this.sink.name, dropped: this.#dropped }, 'export: sink reachable again');
    }
    this.#droppedSinceLog = 0;
    this.#lastError = undefined;
  }

  /** Resolve once everything queued now has been confirmed (or at the deadline). */
  flush(timeoutMs: number): Promise<boolean> {
    if (!this.#buffer.length && !this.#sending) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      if (this.#retryTimer) {
        // retry now rather than after the backoff
        clearTimeout(this.#retryTimer);
        this.#retryTimer = undefined;
      }
      this.#kick();
    });
  }

  /** Stop: try to deliver what is buffered within `timeoutMs`; count what is left as lost. */
  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.#timer);
    const deadline = Date.now() + timeoutMs;
    while (this.#buffer.length && Date.now() < deadline) {
      if (await this.flush(Math.max(1, deadline - Date.now()))) break;
      if (this.#buffer.length)
        await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    if (this.#buffer.length) {
      this.#dropped += this.#buffer.length;
      this.log.error(
        { sink: this.sink.name, lost: this.#buffer.length },
        'export: events still queued at shutdown were not delivered',
      );
      this.#buffer = [];
    }
    await this.sink.close().catch(() => undefined);
  }
}
