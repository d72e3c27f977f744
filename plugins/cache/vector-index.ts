/**
 * The semantic tier's vector index, in process memory. Vectors are partitioned by a context key
 * (tenant, namespace, model, embedder, system prompt, tools, parameters, earlier turns): a search
 * only ever sees vectors of its own partition. A partition starts as an exact scan over one
 * contiguous Float32Array and becomes an HNSW graph once it holds more than `hnswThreshold`
 * vectors. Memory is bounded: one LRU over every entry of every partition (most recently stored
 * or served first), with a per-entry TTL; an evicted or expired entry leaves its partition.
 *
 * Only vectors and a reference (the store key of the answer) live here; the answers themselves and
 * the prompts the guard compares live in the gateway Store.
 */
import { LRUCache } from 'lru-cache';
import { Hnsw, dot, type HnswOptions, type Neighbour } from './hnsw.js';

/** Exact search over a contiguous array of vectors; deletion moves the last vector into the hole. */
export class FlatIndex {
  #vectors: Float32Array;
  #labels: Int32Array;
  #slot = new Map<number, number>();
  #size = 0;
  constructor(readonly dim: number, capacity = 16) {
    this.#vectors = new Float32Array(capacity * dim);
    this.#labels = new Int32Array(capacity);
  }
  get size(): number { return this.#size; }
  get bytes(): number { return this.#vectors.byteLength + this.#labels.byteLength + this.#slot.size * 40; }

  add(vec: Float32Array, label: number): void {
    if (vec.length !== this.dim) throw new Error(`vector has ${vec.length} dimensions, the index ${this.dim}`);
    if (this.#size === this.#labels.length) {
      const cap = this.#labels.length * 2;
      const v = new Float32Array(cap * this.dim); v.set(this.#vectors); this.#vectors = v;
      const l = new Int32Array(cap); l.set(this.#labels); this.#labels = l;
    }
    const s = this.#size++;
    this.#vectors.set(vec, s * this.dim);
    this.#labels[s] = label;
    this.#slot.set(label, s);
  }

  remove(label: number): void {
    const s = this.#slot.get(label);
    if (s === undefined) return;
    this.#slot.delete(label);
    const last = --this.#size;
    if (s !== last) {
      this.#vectors.copyWithin(s * this.dim, last * this.dim, (last + 1) * this.dim);
      const moved = this.#labels[last];
      this.#labels[s] = moved;
      this.#slot.set(moved, s);
    }
  }

  search(q: Float32Array, k: number): Neighbour[] {
    const d = this.dim, v = this.#vectors;
    const best: Neighbour[] = [];
    for (let s = 0; s < this.#size; s++) {
      const score = dot(q, 0, v, s * d, d);
      if (best.length < k || score > best[best.length - 1].score) {
        let i = best.length < k ? best.length : k - 1;
        while (i > 0 && best[i - 1].score < score) { if (i < k) best[i] = best[i - 1]; i--; }
        best[i] = { label: this.#labels[s], score };
      }
    }
    return best;
  }

  *entries(): Generator<{ label: number; vector: Float32Array }> {
    for (let s = 0; s < this.#size; s++) yield { label: this.#labels[s], vector: this.#vectors.subarray(s * this.dim, (s + 1) * this.dim) };
  }
}

/** HNSW with label -> node bookkeeping and a compacting rebuild when tombstones dominate. */
class GraphIndex {
  #g: Hnsw;
  #node = new Map<number, number>();
  constructor(readonly dim: number, private readonly o: Omit<HnswOptions, 'dim'>, from?: Iterable<{ label: number; vector: Float32Array }>) {
    this.#g = new Hnsw({ ...o, dim });
    if (from) for (const e of from) this.add(e.vector, e.label);
  }
  get size(): number { return this.#g.live; }
  get bytes(): number { return this.#g.bytes + this.#node.size * 40; }
  add(vec: Float32Array, label: number): void { this.#node.set(label, this.#g.add(vec, label)); }
  remove(label: number): void {
    const n = this.#node.get(label);
    if (n === undefined) return;
    this.#node.delete(label);
    this.#g.remove(n);
    if (this.#g.tombstones > 1024 && this.#g.tombstones > this.#g.live) {
      const old = this.#g;
      this.#g = new Hnsw({ ...this.o, dim: this.dim, capacity: old.live + 16 });
      this.#node.clear();
      for (const e of old.entries()) this.add(e.vector, e.label);
    }
  }
  search(q: Float32Array, k: number): Neighbour[] { return this.#g.search(q, k); }
  entries() { return this.#g.entries(); }
}

type Partition = FlatIndex | GraphIndex;

export interface VectorIndexOptions {
  /** Most vectors kept across all partitions (LRU beyond). Default 100 000. */
  maxEntries?: number;
  /** Default lifetime of an entry, ms. Default 300 000. */
  ttlMs?: number;
  /** A partition larger than this becomes an HNSW graph. Default 2 048. */
  hnswThreshold?: number;
  hnsw?: Omit<HnswOptions, 'dim' | 'capacity'>;
}

export interface IndexMatch {
  /** The reference stored with the vector (the answer's store key). */
  ref: string;
  score: number;
  label: number;
}

interface Meta {
  partition: string;
  ref: string;
}

export class VectorIndex {
  readonly #partitions = new Map<string, Partition>();
  readonly #byRef = new Map<string, number>();
  readonly #lru: LRUCache<number, Meta>;
  readonly #threshold: number;
  readonly #hnsw: Omit<HnswOptions, 'dim' | 'capacity'>;
  #next = 1;

  constructor(o: VectorIndexOptions = {}) {
    this.#threshold = o.hnswThreshold ?? 2048;
    this.#hnsw = o.hnsw ?? {};
    this.#lru = new LRUCache<number, Meta>({
      max: o.maxEntries ?? 100_000,
      ttl: o.ttlMs ?? 300_000,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      dispose: (meta, label) => this.#drop(meta, label),
    });
  }

  #drop(meta: Meta, label: number): void {
    if (this.#byRef.get(meta.ref) === label) this.#byRef.delete(meta.ref);
    const p = this.#partitions.get(meta.partition);
    if (!p) return;
    p.remove(label);
    if (p.size === 0) this.#partitions.delete(meta.partition);
  }

  /** Vectors held. */
  get size(): number { return this.#lru.size; }
  get partitions(): number { return this.#partitions.size; }

  /** Approximate bytes held by vectors, graphs and bookkeeping. */
  get bytes(): number {
    let b = 0;
    for (const p of this.#partitions.values()) b += p.bytes;
    return b + this.#lru.size * 150 + this.#byRef.size * 120;
  }

  /** Add (or replace) the vector for `ref` in `partition`. Returns its label. */
  add(partition: string, vec: Float32Array, ref: string, ttlMs?: number): number {
    const old = this.#byRef.get(ref);
    if (old !== undefined) this.#lru.delete(old);
    let p = this.#partitions.get(partition);
    if (!p) this.#partitions.set(partition, (p = new FlatIndex(vec.length)));
    else if (p.dim !== vec.length) throw new Error(`partition holds ${p.dim}-dimensional vectors, got ${vec.length}`);
    const label = this.#next++;
    p.add(vec, label);
    if (p instanceof FlatIndex && p.size > this.#threshold) {
      this.#partitions.set(partition, new GraphIndex(p.dim, this.#hnsw, p.entries()));
    }
    this.#byRef.set(ref, label);
    this.#lru.set(label, { partition, ref }, ttlMs ? { ttl: ttlMs } : undefined);
    return label;
  }

  /**
   * The best `k` live entries of `partition` scoring at least `minScore`, best first. Entries found
   * expired are dropped on the way.
   */
  search(partition: string, vec: Float32Array, k: number, minScore: number): IndexMatch[] {
    const p = this.#partitions.get(partition);
    if (!p || p.dim !== vec.length) return [];
    const out: IndexMatch[] = [];
    // ask for a few more than k: some may turn out expired
    for (const n of p.search(vec, k + 2)) {
      if (n.score < minScore || out.length >= k) break;
      const meta = this.#lru.get(n.label); // refreshes recency; undefined (and dropped) when expired
      if (meta) out.push({ ref: meta.ref, score: n.score, label: n.label });
    }
    return out;
  }

  delete(label: number): void {
    this.#lru.delete(label);
  }

  deleteRef(ref: string): void {
    const l = this.#byRef.get(ref);
    if (l !== undefined) this.#lru.delete(l);
  }

  /** Drop expired entries now (also happens lazily on search). */
  purge(): void {
    this.#lru.purgeStale();
  }

  clear(): void {
    // Drop the partitions first: the LRU's dispose callback would otherwise remove every entry one by
    // one from a live graph (minutes of CPU at shutdown with a large index).
    this.#partitions.clear();
    this.#byRef.clear();
    this.#lru.clear();
  }
}
