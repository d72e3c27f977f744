/**
 * The semantic tier's vectors in the gateway Store, so the index survives restarts and instances
 * sharing a store (Redis) find each other's entries. Written with the Store's own operations only
 * (get, set, increment), so any Store works:
 *
 * - `cache:sem:seq`: a counter, one number per vector written by any instance;
 * - `cache:sem:j:<seq>`: the record of that vector - partition (context key), reference (the
 *   entry's exact key), embedder id, the vector quantised to int8 (base64, with its scale), its
 *   expiry - stored with the entry's TTL, so records leave with their entries.
 *
 * On start, an instance reads the newest `maxEntries` records and rebuilds its index (in slices,
 * yielding to the event loop, so the gateway serves meanwhile). Afterwards it polls the counter
 * every `pollMs` and adds what other instances wrote. Memory stays bounded by the index's LRU;
 * the store bounds the records by their TTL (and by its own eviction). Prompt text never goes into
 * a record: prompts and answers stay in the entry itself.
 */
import type { Store } from '../../core/store.js';
import type { EntryLinks } from './vector-index.js';

const SEQ = 'cache:sem:seq';
const record = (seq: number) => `cache:sem:j:${seq}`;

export interface JournalRecord {
  /** partition (context key) */
  p: string;
  /** the entry's store key */
  k: string;
  /** embedder id */
  e: string;
  /** int8 vector, base64 */
  v: string;
  /** scale: component = int8 * s */
  s: number;
  /** expiry, ms since the epoch */
  x: number;
  /**
   * When the writer's partition was an HNSW graph: the links it chose for the vector, per level,
   * in binary (base64): per level a count byte, then the neighbours' sequence numbers (uint32 LE),
   * then their scores (one byte each, 0-255 for -1..1). A rebuild replays them instead of searching
   * the graph for each vector.
   */
  L?: string;
  /** The same links as JSON arrays (records written before the binary form; still read). */
  l?: Array<[number[], number[]]>;
}

const scoreByte = (x: number) => Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));

/** Links in the journal's binary form (see JournalRecord.L). */
export function encodeLinks(links: EntryLinks): string {
  let size = 0;
  for (const l of links) size += 1 + Math.min(255, l.ids.length) * 5;
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  for (const l of links) {
    const n = Math.min(255, l.ids.length);
    b[o++] = n;
    for (let i = 0; i < n; i++, o += 4) b.writeUInt32LE(l.ids[i] >>> 0, o);
    for (let i = 0; i < n; i++) b[o++] = scoreByte(l.scores[i]);
  }
  return b.toString('base64');
}

/** Reusable decoding space for links (a rebuild decodes one record's links at a time). */
export class LinksBuffer {
  readonly bytes = Buffer.alloc(4096);
  readonly levels: Array<{ ids: Uint32Array; scores: Float32Array }> = [];
  level(l: number, n: number): { ids: Uint32Array; scores: Float32Array } {
    let x = this.levels[l];
    if (!x || x.ids.length < n)
      x = this.levels[l] = { ids: new Uint32Array(Math.max(64, n)), scores: new Float32Array(Math.max(64, n)) };
    return x;
  }
}

/**
 * A record's links. With `into`, the binary form is decoded into its reused arrays: the result is
 * valid until the next call with the same buffer.
 */
export function decodeLinks(rec: Pick<JournalRecord, 'L' | 'l'>, into?: LinksBuffer): EntryLinks | undefined {
  if (typeof rec.L === 'string') {
    const b =
      into && rec.L.length <= 5460
        ? into.bytes.subarray(0, into.bytes.write(rec.L, 'base64'))
        : Buffer.from(rec.L, 'base64');
    const out: EntryLinks = [];
    for (let o = 0, l = 0; o < b.length; l++) {
      const n = b[o++];
      if (o + n * 5 > b.length) return undefined; // malformed: an ordinary insertion instead
      const x = into ? into.level(l, n) : { ids: new Uint32Array(n), scores: new Float32Array(n) };
      for (let i = 0; i < n; i++, o += 4) x.ids[i] = b.readUInt32LE(o);
      for (let i = 0; i < n; i++) x.scores[i] = b[o++] / 127.5 - 1;
      out.push(into ? { ids: x.ids.subarray(0, n), scores: x.scores.subarray(0, n) } : x);
    }
    return out;
  }
  return Array.isArray(rec.l) ? rec.l.map(([ids, q]) => ({ ids, scores: q.map((x) => x / 127.5 - 1) })) : undefined;
}

/** int8 with one scale per vector: 4x smaller than float32, cosine changes by about 1e-3. */
export function quantise(vec: Float32Array): { v: string; s: number } {
  let max = 0;
  for (let i = 0; i < vec.length; i++) max = Math.max(max, Math.abs(vec[i]));
  const s = max > 0 ? max / 127 : 1;
  const q = new Int8Array(vec.length);
  for (let i = 0; i < vec.length; i++) q[i] = Math.round(vec[i] / s);
  return { v: Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString('base64'), s };
}

export function dequantise(v: string, _s: number): Float32Array {
  const b = Buffer.from(v, 'base64');
  return dequantiseInto(b, new Float32Array(b.length));
}

/**
 * The int8 vector in `b`, L2-normalised, into `out` (the scale cancels out once the vector is
 * normalised: one integer pass, one float pass).
 */
function dequantiseInto(b: Uint8Array, out: Float32Array): Float32Array {
  const q = new Int8Array(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  for (let i = 0; i < q.length; i++) n += q[i] * q[i];
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let i = 0; i < q.length; i++) out[i] = q[i] * inv;
  return out;
}

/** The vector every instance will see for `vec` (what a record round-trips to). */
export function roundTrip(vec: Float32Array): Float32Array {
  const { v, s } = quantise(vec);
  return dequantise(v, s);
}

/**
 * Index a vector read from the journal: `id` is its sequence number, `links` its writer's links.
 * `vec` and `links` are only valid during the call (a rebuild decodes every record into reused
 * buffers): copy them to keep them (VectorIndex.add copies).
 */
export type AddVector = (
  partition: string,
  vec: Float32Array,
  ref: string,
  ttlMs: number,
  id: number,
  links?: EntryLinks,
) => void;

export interface JournalOptions {
  embedderId: string;
  dims?: number;
  /** Newest records read on start (the index holds no more anyway). */
  maxEntries: number;
  /** Records read at once (one MGET on Redis). Default 1024. */
  batch?: number;
  /** Batches requested ahead while one is being indexed. Default 3. */
  ahead?: number;
}

export interface RebuildStats {
  /** Vectors added to the index. */
  entries: number;
  /** Records read (including expired, foreign-embedder and missing ones). */
  read: number;
  ms: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function readMany<T>(store: Store, keys: string[]): Promise<Array<T | undefined>> {
  return store.getMany ? store.getMany<T>(keys) : Promise.all(keys.map((k) => store.get<T>(k)));
}

export class Journal {
  /** Highest sequence number applied (own or read). */
  #last = 0;
  readonly #own = new Set<number>();
  /** Sequence numbers seen by the counter but whose record was not there yet: first seen (ms). */
  readonly #pending = new Map<number, number>();
  #polling = false;

  constructor(
    private readonly store: Store,
    private readonly o: JournalOptions,
  ) {}

  get last(): number {
    return this.#last;
  }

  /** Persist a vector the local index already holds (with its links, if any). Returns its sequence number. */
  async append(partition: string, vec: Float32Array, ref: string, ttlMs: number, links?: EntryLinks): Promise<number> {
    const seq = await this.store.increment(SEQ, 1);
    this.#own.add(seq);
    const { v, s } = quantise(vec);
    const rec: JournalRecord = { p: partition, k: ref, e: this.o.embedderId, v, s, x: Date.now() + ttlMs };
    if (links?.length && links[0].ids.length) rec.L = encodeLinks(links);
    await this.store.set(record(seq), rec, ttlMs);
    return seq;
  }

  #accept(rec: JournalRecord | undefined, now: number): rec is JournalRecord {
    return (
      !!rec &&
      rec.e === this.o.embedderId &&
      rec.x > now &&
      typeof rec.v === 'string' &&
      (this.o.dims === undefined || Buffer.byteLength(rec.v, 'base64') === this.o.dims)
    );
  }

  /**
   * Read the newest records into the index, oldest first (so recency in the LRU follows the
   * journal). Up to `ahead` batches are requested while one is indexed (on Redis: one MGET each,
   * pipelined on the connection); vectors are decoded from base64 into one reused buffer. Yields to
   * the event loop after `budgetMs` of work, so the gateway answers meanwhile.
   */
  async rebuild(add: AddVector, o: { budgetMs?: number; stopped?: () => boolean } = {}): Promise<RebuildStats> {
    const budgetMs = o.budgetMs ?? 20;
    const t0 = performance.now();
    const top = Number((await this.store.get<number>(SEQ)) ?? 0);
    const from = Math.max(1, top - this.o.maxEntries + 1);
    const batch = this.o.batch ?? 1024;
    const ahead = Math.max(1, this.o.ahead ?? 3);
    let entries = 0,
      read = 0;
    let slice = performance.now();
    const fetch = (start: number) => {
      const keys: string[] = [];
      for (let s = start; s < start + batch && s <= top; s++) keys.push(record(s));
      read += keys.length;
      return readMany<JournalRecord>(this.store, keys);
    };
    const queue: Array<Promise<Array<JournalRecord | undefined>>> = [];
    let nextStart = from;
    const fill = () => {
      while (queue.length < ahead && nextStart <= top) {
        const p = fetch(nextStart);
        p.catch(() => undefined); // awaited in order below; a failure there ends the rebuild
        queue.push(p);
        nextStart += batch;
      }
    };
    let scratch = new Float32Array(this.o.dims ?? 256);
    const bytes = Buffer.alloc(4096);
    const links = new LinksBuffer();
    fill();
    for (let start = from; queue.length; start += batch) {
      const recs = await queue.shift()!;
      if (o.stopped?.()) break;
      fill();
      const now = Date.now();
      for (let i = 0; i < recs.length; i++) {
        const rec = recs[i];
        if (!this.#accept(rec, now)) continue;
        // decoded into reused buffers: nothing allocated per vector
        const b = rec.v.length <= 5460 ? bytes.subarray(0, bytes.write(rec.v, 'base64')) : Buffer.from(rec.v, 'base64');
        if (scratch.length !== b.length) scratch = new Float32Array(b.length);
        add(rec.p, dequantiseInto(b, scratch), rec.k, rec.x - now, start + i, decodeLinks(rec, links));
        entries++;
        if ((entries & 63) === 0 && performance.now() - slice > budgetMs) {
          await tick();
          slice = performance.now();
        }
      }
    }
    this.#last = Math.max(this.#last, top);
    return { entries, read, ms: Math.round(performance.now() - t0) };
  }

  /** Add what other instances wrote since the last poll. Returns the vectors added. */
  async poll(add: AddVector): Promise<number> {
    if (this.#polling) return 0;
    this.#polling = true;
    try {
      const top = Number((await this.store.get<number>(SEQ)) ?? 0);
      if (top <= this.#last && !this.#pending.size) return 0;
      const wanted = [...this.#pending.keys()];
      let from = this.#last + 1;
      if (top - from + 1 > this.o.maxEntries) from = top - this.o.maxEntries + 1; // far behind: only the newest matter
      for (let s = from; s <= top; s++) if (!this.#own.delete(s)) wanted.push(s);
      this.#last = Math.max(this.#last, top);
      let added = 0;
      const batch = this.o.batch ?? 1024;
      for (let i = 0; i < wanted.length; i += batch) {
        const seqs = wanted.slice(i, i + batch);
        const recs = await readMany<JournalRecord>(this.store, seqs.map(record));
        const now = Date.now();
        recs.forEach((rec, j) => {
          const seq = seqs[j];
          if (rec === undefined) {
            // counted but not written yet (another instance between increment and set), or gone
            const first = this.#pending.get(seq) ?? now;
            if (now - first < 5000) this.#pending.set(seq, first);
            else this.#pending.delete(seq);
            return;
          }
          this.#pending.delete(seq);
          if (!this.#accept(rec, now)) return;
          add(rec.p, dequantise(rec.v, rec.s), rec.k, rec.x - now, seq, decodeLinks(rec));
          added++;
        });
      }
      return added;
    } finally {
      this.#polling = false;
    }
  }
}
