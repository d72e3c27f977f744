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
  constructor(
    readonly dim: number,
    capacity = 16,
  ) {
    this.#vectors = new Float32Array(capacity * dim);
    this.#labels = new Int32Array(capacity);
  }
  get size(): number {
    return this.#size;
  }
  get bytes(): number {
    return this.#vectors.byteLength + this.#labels.byteLength + this.#slot.size * 40;
  }

  add(vec: Float32Array, label: number): void {
    if (vec.length !== this.dim) throw new Error(`vector has ${vec.length} dimensions, the index ${this.dim}`);
    if (this.#size === this.#labels.length) {
      const cap = this.#labels.length * 2;
      const v = new Float32Array(cap * this.dim);
      v.set(this.#vectors);
      this.#vectors = v;
      const l = new Int32Array(cap);
      l.set(this.#labels);
      this.#labels = l;
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
    const d = this.dim,
      v = this.#vectors;
    const best: Neighbour[] = [];
    for (let s = 0; s < this.#size; s++) {
      const score = dot(q, 0, v, s * d, d);
      if (best.length < k || score > best[best.length - 1].score) {
        let i = best.length < k ? best.length : k - 1;
        while (i > 0 && best[i - 1].score < score) {
          if (i < k) best[i] = best[i - 1];
          i--;
        }
        best[i] = { label: this.#labels[s], score };
      }
    }
    return best;
  }

  *entries(): Generator<{ label: number; vector: Float32Array }> {
    for (let s = 0; s < this.#size; s++)
      yield { label: this.#labels[s], vector: this.#vectors.subarray(s * this.dim, (s + 1) * this.dim) };
  }
}

/** HNSW with label -> node bookkeeping and a compacting rebuild when tombstones dominate. */
class GraphIndex {
  #g: Hnsw;
  #node = new Map<number, number>();
  constructor(
    readonly dim: number,
    private readonly o: Omit<HnswOptions, 'dim'>,
    from?: Iterable<{ label: number; vector: Float32Array }>,
  ) {
    this.#g = new Hnsw({ ...o, dim });
    if (from) for (const e of from) this.add(e.vector, e.label);
  }
  get size(): number {
    return this.#g.live;
  }
  get bytes(): number {
    return this.#g.bytes + this.#node.size * 40;
  }
  add(vec: Float32Array, label: number): void {
    this.#node.set(label, this.#g.add(vec, label));
  }

  /** The links `label` got on insertion, per level, as labels with their scores. */
  links(label: number): Array<{ labels: number[]; scores: number[] }> {
    const n = this.#node.get(label);
    if (n === undefined) return [];
    return this.#g.links(n).map((l) => ({ labels: l.nodes.map((x) => this.#g.labelOf(x)), scores: l.scores }));
  }

  /**
   * Insert with the links another graph chose, named by ids that `labels` turns into labels of
   * entries this graph holds. Too few of them left (evicted, expired, not loaded): an ordinary
   * insertion instead. Runs once per vector of a rebuild: the mapping allocates nothing.
   */
  addLinked(vec: Float32Array, label: number, links: EntryLinks, labels: ReadonlyMap<number, number>): void {
    const levels = Math.min(links.length, 17);
    while (this.#scratch.length < levels)
      this.#scratch.push({ nodes: new Int32Array(64), scores: new Float32Array(64), n: 0 });
    for (let l = 0; l < levels; l++) {
      const { ids, scores } = links[l];
      let sl = this.#scratch[l];
      if (sl.nodes.length < ids.length) {
        sl = this.#scratch[l] = { nodes: new Int32Array(ids.length), scores: new Float32Array(ids.length), n: 0 };
      }
      let n = 0;
      for (let i = 0; i < ids.length; i++) {
        const x = labels.get(ids[i]);
        const node = x === undefined ? undefined : this.#node.get(x);
        if (node !== undefined) {
          sl.nodes[n] = node;
          sl.scores[n++] = scores[i];
        }
      }
      sl.n = n;
    }
    if (!levels || this.#scratch[0].n < Math.min(8, links[0].ids.length)) return this.add(vec, label);
    const mapped = this.#scratch
      .slice(0, levels)
      .map((x) => ({ nodes: x.nodes.subarray(0, x.n), scores: x.scores.subarray(0, x.n) }));
    this.#node.set(label, this.#g.addLinked(vec, label, mapped));
  }
  readonly #scratch: Array<{ nodes: Int32Array; scores: Float32Array; n: number }> = [];

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
  search(q: Float32Array, k: number): Neighbour[] {
    return this.#g.search(q, k);
  }
  entries() {
    return this.#g.entries();
  }
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
  /** An id given by the caller (the journal's sequence number), to name links across instances. */
  id?: number;
}

/** Links of an entry per level: the ids (see Meta.id) of its neighbours and their scores. */
export type EntryLinks = Array<{ ids: ArrayLike<number>; scores: ArrayLike<number> }>;

export class VectorIndex {
  readonly #partitions = new Map<string, Partition>();
  readonly #byRef = new Map<string, number>();
  readonly #byId = new Map<number, number>();
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
    if (meta.id !== undefined && this.#byId.get(meta.id) === label) this.#byId.delete(meta.id);
    const p = this.#partitions.get(meta.partition);
    if (!p) return;
    p.remove(label);
    if (p.size === 0) this.#partitions.delete(meta.partition);
  }

  /** Vectors held. */
  get size(): number {
    return this.#lru.size;
  }
  get partitions(): number {
    return this.#partitions.size;
  }

  /** Approximate bytes held by vectors, graphs and bookkeeping. */
  get bytes(): number {
    let b = 0;
    for (const p of this.#partitions.values()) b += p.bytes;
    return b + this.#lru.size * 150 + this.#byRef.size * 120 + this.#byId.size * 40;
  }

  /**
   * Add (or replace) the vector for `ref` in `partition`. Returns its label. `id` names the entry
   * for links (the journal's sequence number); `links` are the links another instance's graph
   * chose for it (replayed without a search when the partition is a graph).
   */
  add(
    partition: string,
    vec: Float32Array,
    ref: string,
    ttlMs?: number,
    o: { id?: number; links?: EntryLinks } = {},
  ): number {
    const old = this.#byRef.get(ref);
    if (old !== undefined) this.#lru.delete(old);
    let p = this.#partitions.get(partition);
    if (!p) this.#partitions.set(partition, (p = new FlatIndex(vec.length)));
    else if (p.dim !== vec.length) throw new Error(`partition holds ${p.dim}-dimensional vectors, got ${vec.length}`);
    const label = this.#next++;
    if (p instanceof GraphIndex && o.links?.length) p.addLinked(vec, label, o.links, this.#byId);
    else p.add(vec, label);
    if (p instanceof FlatIndex && p.size > this.#threshold) {
      this.#partitions.set(partition, new GraphIndex(p.dim, this.#hnsw, p.entries()));
    }
    this.#byRef.set(ref, label);
    if (o.id !== undefined) this.#byId.set(o.id, label);
    this.#lru.set(label, { partition, ref, id: o.id }, ttlMs ? { ttl: ttlMs } : undefined);
    return label;
  }

  /** Name the entry of `ref` with an id (see add). */
  setId(ref: string, id: number): void {
    const label = this.#byRef.get(ref);
    const meta = label === undefined ? undefined : this.#lru.peek(label);
    if (!meta || label === undefined) return;
    meta.id = id;
    this.#byId.set(id, label);
  }

  /**
   * The links the entry of `ref` got on insertion, as ids of its neighbours (those that have one),
   * when its partition is a graph; undefined otherwise.
   */
  linksOf(ref: string): EntryLinks | undefined {
    const label = this.#byRef.get(ref);
    const meta = label === undefined ? undefined : this.#lru.peek(label);
    const p = meta && this.#partitions.get(meta.partition);
    if (!(p instanceof GraphIndex) || label === undefined) return undefined;
    return p.links(label).map((l) => {
      const ids: number[] = [],
        scores: number[] = [];
      l.labels.forEach((x, i) => {
        const id = this.#lru.peek(x)?.id;
        if (id !== undefined) {
          ids.push(id);
          scores.push(l.scores[i]);
        }
      });
      return { ids, scores };
    });
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
    this.#byId.clear();
    this.#lru.clear();
  }
}
