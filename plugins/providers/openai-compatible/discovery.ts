/**
 * Model discovery for OpenAI-compatible servers without a configured model list (vLLM, Ollama, LM
 * Studio, a lab server): GET {baseURL}/models, the upstream's own list. Cached and refreshed in the
 * background; a failure keeps the last good list and is logged once per outage (provider name and
 * what went wrong, never the key or the answer). Bounded: one request at a time, a timeout, a
 * response size cap, at most `maxModels` ids of sane length.
 */
import type { Logger } from 'pino';
import type { ModelInfo } from '../../../core/types.js';

export interface DiscoveryOptions {
  /** Refresh the list this often (ms). Default 10 minutes. */
  refreshMs: number;
  /** While no list could be fetched, GET /v1/models tries again after this long (ms). Default 30 s. */
  retryMs: number;
  /** Give up on one GET /models after this long (ms). Default 5 s. */
  timeoutMs: number;
  /** How long GET /v1/models waits for the first discovery (ms). Default 2 s. */
  firstWaitMs: number;
  maxModels: number;
}

export const DISCOVERY_DEFAULTS: DiscoveryOptions = {
  refreshMs: 600_000,
  retryMs: 30_000,
  timeoutMs: 5000,
  firstWaitMs: 2000,
  maxModels: 1000,
};

const ID = /^[^\s\u0000-\u001f\u007f]{1,256}$/;

/** The model objects of an OpenAI-style list answer ({ data: [{ id, created? }] }), bounded. */
export function parseModelList(body: unknown, max: number): { models: ModelInfo[]; dropped: number } {
  const data = Array.isArray(body) ? body : (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error('the answer has no `data` list');
  const seen = new Set<string>();
  const models: ModelInfo[] = [];
  let dropped = 0;
  for (const item of data) {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !ID.test(id) || seen.has(id)) {
      dropped++;
      continue;
    }
    if (models.length >= max) {
      dropped++;
      continue;
    }
    seen.add(id);
    const created = (item as { created?: unknown }).created;
    models.push({
      id,
      kind: /embed/i.test(id) ? 'embeddings' : 'chat',
      ...(typeof created === 'number' && Number.isFinite(created) ? { created } : {}),
    });
  }
  return { models, dropped };
}

export class ModelDiscovery {
  #models: ModelInfo[] = [];
  #first: Promise<void> | undefined;
  #inflight: Promise<void> | undefined;
  #fetchedAt = 0;
  #triedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  #stopped = false;
  #controller: AbortController | undefined;
  /** Successful discoveries so far (tests, `switchyard check`). */
  succeeded = 0;

  constructor(
    private readonly provider: string,
    private readonly fetchList: (signal: AbortSignal) => Promise<unknown>,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    private readonly o: DiscoveryOptions = DISCOVERY_DEFAULTS,
  ) {}

  /** The last discovered list (empty until the first success). */
  get models(): ModelInfo[] {
    return this.#models;
  }

  start(): void {
    if (this.#first || this.#stopped) return;
    this.#first = this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.o.refreshMs);
    this.#timer.unref();
  }

  /** Resolves when the first discovery settled (at most `firstWaitMs`); a stale list refreshes in the background. */
  ready(): Promise<void> {
    if (!this.#first) this.start();
    const now = Date.now();
    if (this.#fetchedAt ? now - this.#fetchedAt > this.o.refreshMs : now - this.#triedAt > this.o.retryMs)
      void this.refresh();
    if (this.#fetchedAt || this.#stopped) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((r) => {
      timer = setTimeout(r, this.o.firstWaitMs);
    });
    return Promise.race([this.#first!, wait]).finally(() => clearTimeout(timer));
  }

  /** One GET /models (joined when one is running). Never rejects. */
  refresh(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Stop refreshing and cancel a request in flight (at shutdown). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#controller?.abort();
  }

  async #fetch(): Promise<void> {
    this.#triedAt = Date.now();
    const controller = (this.#controller = new AbortController());
    const timer = setTimeout(() => controller.abort(), this.o.timeoutMs);
    timer.unref();
    try {
      const { models, dropped } = parseModelList(await this.fetchList(controller.signal), this.o.maxModels);
      const before = this.#models.length;
      this.#models = models;
      this.#fetchedAt = Date.now();
      this.succeeded++;
      if (this.#failing || before !== models.length) {
        this.log.info(
          { provider: this.provider, models: models.length, ...(dropped ? { dropped } : {}) },
          'models discovered from the upstream',
        );
      }
      this.#failing = false;
    } catch (e) {
      // Logged once per outage; the last good list stays. The message is ours or the transport's, never a key or an
      // answer body.
      if (!this.#failing && !this.#stopped) {
        const reason = controller.signal.aborted ? `no answer within ${this.o.timeoutMs} ms` : (e as Error).message;
        this.log.warn(
          { provider: this.provider, reason: reason.slice(0, 200) },
          'model discovery failed: GET /models of the upstream; keeping the last list',
        );
      }
      this.#failing = true;
    } finally {
      clearTimeout(timer);
    }
  }
}
