/**
 * The main thread's side of the SQLite ledger's writer thread (sqlite-thread.ts). The thread starts with
 * the first batch (a gateway that never writes usage pays nothing for it), ends after `idleMs` without
 * one (its isolate, heap and SQLite cache are ~13 MiB of an idle gateway's RSS; the next batch starts
 * another, ~70-100 ms of CPU), and holds the event loop open only while a batch is on its way, so a
 * process whose gateway was never closed still exits. When the
 * thread cannot start or stops, its batches in flight are rejected with WriterThreadLost and every later
 * write is too: the ledger then writes on its own connection (sqlite.ts).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { packEntries } from './entry-codec.js';
import type { RefusedRow } from './sqlite-writes.js';
import type { LedgerEntry } from './types.js';

/** A batch to write (its entries packed by entry-codec.ts), or the end of the thread. */
export type WriterRequest = { id: number; packed: unknown[]; close?: undefined } | { close: true };
export interface WriterReply {
  id: number;
  refused?: RefusedRow[];
  error?: { message: string; code?: string };
}

/** The batch did not reach the thread, or the thread stopped before answering: write it another way. */
export class WriterThreadLost extends Error {}

/** The thread's module beside this one: .ts when running from source (tsx), .js in the build. */
const THREAD_URL = new URL(`./sqlite-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Running from source (tsx): the parent's module loader is not the worker's, so a .ts entry needs tsx
 * registered in the worker first (a dev dependency; without it the thread fails and the ledger writes on
 * the main thread).
 */
function fromSource(url: URL): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`;
}

/**
 * The thread's heap: a batch lives only while it is written, so a small young generation is enough. With
 * V8's default (16 MB) the process kept ~38 MB more RSS after load than without the thread and the bench
 * served fewer requests (1.09x against 1.20x with 2 MB, bench/profile-notes.md); with 2 MB, ~11 MB more.
 * The old generation's bound only caps a runaway: a `maxBatch` of 100,000 records is ~50 MB in the thread
 * (past the bound the thread stops, and the main thread writes the batch).
 */
const LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 256 };

/** How long the thread may sit without a batch before it ends. */
export const WRITER_IDLE_MS = 30_000;

interface Waiting {
  resolve: (refused: RefusedRow[]) => void;
  reject: (e: Error) => void;
}

export class SqliteWriterThread {
  readonly #path: string;
  readonly #url: URL;
  #worker: Worker | undefined;
  /** Why the thread is gone (it will not be started again), once it is. */
  #lost: Error | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(path: string, url: URL = THREAD_URL, idleMs = WRITER_IDLE_MS) {
    this.#path = path;
    this.#url = url;
    this.#idleMs = idleMs;
  }

  /** Whether batches still go to the thread. */
  get usable(): boolean {
    return this.#lost === undefined;
  }

  /** Whether the thread is running now (it starts with the first batch). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Write a batch on the thread; resolves with the rows the database refused. */
  write(entries: LedgerEntry[]): Promise<RefusedRow[]> {
    if (this.#lost) return Promise.reject(new WriterThreadLost(this.#lost.message));
    let worker: Worker;
    try {
      worker = this.#worker ?? this.#start();
    } catch (e) {
      this.#lost = e as Error;
      return Promise.reject(new WriterThreadLost((e as Error).message));
    }
    const id = ++this.#next;
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    return new Promise<RefusedRow[]>((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, packed: packEntries(entries) } satisfies WriterRequest);
    });
  }

  #start(): Worker {
    const options = { workerData: { path: this.#path }, resourceLimits: LIMITS };
    const worker = this.#url.pathname.endsWith('.ts')
      ? new Worker(fromSource(this.#url), { ...options, eval: true })
      : new Worker(this.#url, options);
    worker.unref();
    worker.on('message', (m: WriterReply) => this.#answer(m));
    // A thread ended for being idle is no longer this.#worker: its exit is not a loss.
    worker.on('error', (e) => worker === this.#worker && this.#gone(e));
    worker.on('exit', (code) => {
      if (worker === this.#worker) this.#gone(new Error(`the writer thread exited with code ${code}`));
    });
    this.#worker = worker;
    return worker;
  }

  /** End an idle thread: it closes its connection; the next batch starts another. */
  #retire(): void {
    this.#idleTimer = undefined;
    const worker = this.#worker;
    if (!worker || this.#waiting.size > 0) return;
    this.#worker = undefined;
    worker.postMessage({ close: true } satisfies WriterRequest);
  }

  #answer(m: WriterReply): void {
    const w = this.#waiting.get(m.id);
    if (!w) return;
    this.#waiting.delete(m.id);
    if (this.#waiting.size === 0 && this.#worker) {
      this.#worker.unref();
      this.#idleTimer = setTimeout(() => this.#retire(), this.#idleMs);
      this.#idleTimer.unref();
    }
    if (m.error) w.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    else w.resolve(m.refused ?? []);
  }

  #gone(e: Error): void {
    this.#lost ??= e;
    this.#worker = undefined;
    for (const w of this.#waiting.values()) w.reject(new WriterThreadLost(e.message));
    this.#waiting.clear();
  }

  /** Let the thread finish what it was sent, close its connection and end. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#lost ??= new Error('the ledger is closed');
    if (!worker) return;
    const exited = once(worker, 'exit');
    worker.ref();
    worker.postMessage({ close: true } satisfies WriterRequest);
    await exited;
  }
}
