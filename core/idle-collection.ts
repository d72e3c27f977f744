/**
 * One full garbage collection when a listening gateway has been quiet for `server.idleCollectMs`
 * (default 10 s): no request started in that time and none open.
 *
 * Start-up and every burst of traffic leave V8's young generation grown (two 16 MiB semi-spaces) and
 * the old generation unswept. V8 gives that back when its memory reducer runs, and on an idle process
 * that takes from tens of seconds to never (bench/profile-notes.md, twelfth and thirteenth rounds): an
 * idle gateway read 86-116 MiB of RSS where the same process read ~70 after one collection. V8 shrinks
 * the young generation at a collection when its allocation rate over the last 5 s was low, so the
 * quiet period must be longer than that for the collection to return memory.
 *
 * It runs once per quiet period (again only after new traffic), never while requests arrive or are
 * open, and takes ~20 ms of one core. Only a gateway that listens does it: one mounted in another app
 * (library mode) leaves the host's memory to the host. The collection is V8's `gc()`, reached through a
 * throwaway context with the flag that exposes it set for that moment only (or the global one when node
 * runs with --expose-gc).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

export interface IdleCollectionOptions {
  /** Quiet time before collecting, in ms (> 0). */
  quietMs: number;
  /** A count that moves whenever a request starts. */
  started: () => number;
  /** Requests open right now. */
  open: () => number;
  log?: Logger;
}

/** Watch for quiet periods and collect once in each (twice when the first gave nothing back); stop() ends it. */
export function startIdleCollection(o: IdleCollectionOptions): { stop(): void } {
  let seen = o.started();
  let quietSince = performance.now();
  let owed = true; // a collection is owed: start-up, then any new traffic
  let retried = false;
  let collect: (() => void) | undefined;
  const tick = () => {
    const now = performance.now();
    const n = o.started();
    if (n !== seen || o.open() > 0) {
      seen = n;
      quietSince = now;
      owed = true;
      retried = false;
      return;
    }
    if (!owed || now - quietSince < o.quietMs) return;
    collect ??= fullCollection();
    if (!collect) return clearInterval(timer);
    const heapBefore = v8.getHeapStatistics().total_heap_size;
    collect();
    const heapAfter = v8.getHeapStatistics().total_heap_size;
    const ms = Math.round((performance.now() - now) * 10) / 10;
    o.log?.debug({ ms, heapBefore, heapAfter }, 'idle collection (heap sizes in bytes)');
    // V8 judged its allocation rate by what was allocated since its last collection (up to a whole
    // young generation, e.g. right after start-up): when that kept it from shrinking the young
    // generation, one more collection a quiet period later, with little allocated between, does it
    // (when the period is longer than V8's 5-s window).
    quietSince = performance.now();
    if (retried || o.quietMs < RATE_WINDOW_MS || youngGeneration() <= SMALL_YOUNG_GENERATION) owed = false;
    else retried = true;
  };
  const timer = setInterval(tick, Math.max(25, Math.floor(o.quietMs / 2)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** V8 reads its allocation rate over this window when it decides to shrink the young generation. */
const RATE_WINDOW_MS = 5_000;

/** The young generation's committed size after V8 shrinks it (its two semi-spaces at their smallest: 1-2 MiB). */
const SMALL_YOUNG_GENERATION = 4 * 1024 * 1024;

const youngGeneration = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/** V8's full collection, or undefined where it cannot be reached. */
function fullCollection(): (() => void) | undefined {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}
