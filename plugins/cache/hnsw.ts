/**
 * A compact HNSW (Hierarchical Navigable Small World, Malkov & Yashunin 2016) index over
 * L2-normalised Float32 vectors, scored by inner product (= cosine similarity). Written for the
 * cache's large partitions: no dependency, no native build.
 *
 * Layout: vectors in one contiguous Float32Array; level-0 links in one Int32Array (per node: count
 * then up to 2M ids); upper-level links (about 1 node in M has any) in small per-node arrays.
 * Deletion is a tombstone: deleted nodes still route searches but are never returned; the owner
 * rebuilds the index when tombstones outnumber live nodes. The visited set is an epoch-stamped
 * Uint32Array, so a search allocates only its result.
 */

export interface HnswOptions {
  dim: number;
  /** Links per node on upper levels (2M on level 0). Default 16. */
  M?: number;
  /** Beam width while inserting. Default 64. */
  efConstruction?: number;
  /** Beam width while searching (at least k). Default 48. */
  efSearch?: number;
  /** Initial capacity in nodes. Default 1024. */
  capacity?: number;
  /** Seed of the level generator (deterministic builds). */
  seed?: number;
}

export interface Neighbour {
  label: number;
  score: number;
}

/** Inner product of a[ao..ao+d) and b[bo..bo+d), unrolled by 4. */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 3 < d; i += 4) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
    s2 += a[ao + i + 2] * b[bo + i + 2];
    s3 += a[ao + i + 3] * b[bo + i + 3];
  }
  for (; i < d; i++) s0 += a[ao + i] * b[bo + i];
  return s0 + s1 + s2 + s3;
}

/** A binary heap over (id, score) pairs in parallel typed arrays. `max` = highest score on top. */
class Heap {
  ids: Int32Array;
  scores: Float32Array;
  size = 0;
  constructor(
    capacity: number,
    private readonly max: boolean,
  ) {
    this.ids = new Int32Array(capacity);
    this.scores = new Float32Array(capacity);
  }
  clear(): void {
    this.size = 0;
  }
  #above(a: number, b: number): boolean {
    return this.max ? this.scores[a] > this.scores[b] : this.scores[a] < this.scores[b];
  }
  #swap(a: number, b: number): void {
    const i = this.ids[a];
    this.ids[a] = this.ids[b];
    this.ids[b] = i;
    const s = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = s;
  }
  push(id: number, score: number): void {
    if (this.size === this.ids.length) {
      const ids = new Int32Array(this.size * 2);
      ids.set(this.ids);
      this.ids = ids;
      const sc = new Float32Array(this.size * 2);
      sc.set(this.scores);
      this.scores = sc;
    }
    let i = this.size++;
    this.ids[i] = id;
    this.scores[i] = score;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#above(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }
  topId(): number {
    return this.ids[0];
  }
  topScore(): number {
    return this.scores[0];
  }
  pop(): void {
    const last = --this.size;
    if (last === 0) return;
    this.ids[0] = this.ids[last];
    this.scores[0] = this.scores[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < last && this.#above(l, m)) m = l;
      if (r < last && this.#above(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
  }
}

export class Hnsw {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  readonly efConstruction: number;
  efSearch: number;
  #cap: number;
  #vectors: Float32Array;
  #links0: Int32Array;
  /** Score (inner product) of each level-0 link, parallel to #links0 without the count slot. */
  #scores0: Float32Array;
  #upper: (Int32Array[] | undefined)[] = [];
  #upperScores: (Float32Array[] | undefined)[] = [];
  #labels: Int32Array;
  #deleted: Uint8Array;
  /** Highest level of each node (0: level 0 only). */
  #levels: Uint8Array;
  #visited: Uint32Array;
  #epoch = 0;
  #entry = -1;
  #maxLevel = -1;
  #size = 0;
  #tombstones = 0;
  /** Bytes of the upper levels' link arrays (kept as they are created: `bytes` is O(1)). */
  #upperBytes = 0;
  /** Level 0: the weakest link score of a full neighbour list and its slot (a back-link weaker is refused in O(1)). */
  #weak0: Float32Array;
  #weakAt0: Uint16Array;
  readonly #levelMult: number;
  #rng: number;
  /** Reused by addLinked: indexes of the links kept. */
  readonly #picked: number[] = [];
  readonly #cand = new Heap(64, true);
  readonly #res = new Heap(64, false);

  constructor(o: HnswOptions) {
    this.dim = o.dim;
    this.M = o.M ?? 16;
    this.M0 = this.M * 2;
    this.efConstruction = o.efConstruction ?? 64;
    this.efSearch = o.efSearch ?? 48;
    this.#cap = Math.max(16, o.capacity ?? 1024);
    this.#vectors = new Float32Array(this.#cap * this.dim);
    this.#links0 = new Int32Array(this.#cap * (this.M0 + 1));
    this.#scores0 = new Float32Array(this.#cap * this.M0);
    this.#labels = new Int32Array(this.#cap);
    this.#deleted = new Uint8Array(this.#cap);
    this.#levels = new Uint8Array(this.#cap);
    this.#visited = new Uint32Array(this.#cap);
    this.#weak0 = new Float32Array(this.#cap);
    this.#weakAt0 = new Uint16Array(this.#cap);
    this.#levelMult = 1 / Math.log(this.M);
    this.#rng = (o.seed ?? 0x9e3779b9) >>> 0;
  }

  /** Nodes held, deleted ones included. */
  get size(): number {
    return this.#size;
  }
  get live(): number {
    return this.#size - this.#tombstones;
  }
  get tombstones(): number {
    return this.#tombstones;
  }

  /** Approximate bytes held by the index's arrays. */
  get bytes(): number {
    const upper = this.#upperBytes;
    return (
      this.#weak0.byteLength +
      this.#weakAt0.byteLength +
      this.#vectors.byteLength +
      this.#links0.byteLength +
      this.#scores0.byteLength +
      this.#labels.byteLength +
      this.#deleted.byteLength +
      this.#levels.byteLength +
      this.#visited.byteLength +
      upper
    );
  }

  #random(): number {
    // mulberry32
    this.#rng = (this.#rng + 0x6d2b79f5) >>> 0;
    let t = this.#rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  #grow(): void {
    const cap = this.#cap * 2;
    const v = new Float32Array(cap * this.dim);
    v.set(this.#vectors);
    this.#vectors = v;
    const l = new Int32Array(cap * (this.M0 + 1));
    l.set(this.#links0);
    this.#links0 = l;
    const sc = new Float32Array(cap * this.M0);
    sc.set(this.#scores0);
    this.#scores0 = sc;
    const lb = new Int32Array(cap);
    lb.set(this.#labels);
    this.#labels = lb;
    const d = new Uint8Array(cap);
    d.set(this.#deleted);
    this.#deleted = d;
    const lv = new Uint8Array(cap);
    lv.set(this.#levels);
    this.#levels = lv;
    this.#visited = new Uint32Array(cap);
    this.#epoch = 0;
    const w = new Float32Array(cap);
    w.set(this.#weak0);
    this.#weak0 = w;
    const wa = new Uint16Array(cap);
    wa.set(this.#weakAt0);
    this.#weakAt0 = wa;
    this.#cap = cap;
  }

  #dotQ(q: Float32Array, node: number): number {
    return dot(q, 0, this.#vectors, node * this.dim, this.dim);
  }

  #dotN(a: number, b: number): number {
    return dot(this.#vectors, a * this.dim, this.#vectors, b * this.dim, this.dim);
  }

  #nextEpoch(): number {
    if (++this.#epoch === 0xffffffff) {
      this.#visited.fill(0);
      this.#epoch = 1;
    }
    return this.#epoch;
  }

  /** Greedy descent on one level: the single closest node. */
  #greedy(q: Float32Array, start: number, level: number): number {
    let cur = start;
    let best = this.#dotQ(q, cur);
    for (let changed = true; changed; ) {
      changed = false;
      const arr = level === 0 ? this.#links0 : this.#upper[cur]![level - 1];
      const off = level === 0 ? cur * (this.M0 + 1) : 0;
      for (let i = 1, n = arr[off]; i <= n; i++) {
        const c = arr[off + i];
        const s = this.#dotQ(q, c);
        if (s > best) {
          best = s;
          cur = c;
          changed = true;
        }
      }
    }
    return cur;
  }

  /** Beam search on one level; fills #res (min-heap of the best `ef`, deleted nodes included). */
  #searchLayer(q: Float32Array, entry: number, ef: number, level: number): void {
    const cand = this.#cand,
      res = this.#res,
      visited = this.#visited;
    cand.clear();
    res.clear();
    const epoch = this.#nextEpoch();
    const s0 = this.#dotQ(q, entry);
    visited[entry] = epoch;
    cand.push(entry, s0);
    res.push(entry, s0);
    while (cand.size > 0) {
      const c = cand.topId(),
        cs = cand.topScore();
      if (res.size >= ef && cs < res.topScore()) break;
      cand.pop();
      const arr = level === 0 ? this.#links0 : this.#upper[c]![level - 1];
      const off = level === 0 ? c * (this.M0 + 1) : 0;
      for (let i = 1, n = arr[off]; i <= n; i++) {
        const e = arr[off + i];
        if (visited[e] === epoch) continue;
        visited[e] = epoch;
        const s = this.#dotQ(q, e);
        if (res.size < ef || s > res.topScore()) {
          cand.push(e, s);
          res.push(e, s);
          if (res.size > ef) res.pop();
        }
      }
    }
  }

  /** Drain #res into arrays sorted by descending score. */
  #drain(): { ids: number[]; scores: number[] } {
    const res = this.#res;
    const n = res.size;
    const ids = new Array<number>(n),
      scores = new Array<number>(n);
    for (let i = n - 1; i >= 0; i--) {
      ids[i] = res.topId();
      scores[i] = res.topScore();
      res.pop();
    }
    return { ids, scores };
  }

  /**
   * The neighbour-selection heuristic: keep a candidate closer to the new node than to any kept
   * one. Returns indexes into ids/scores.
   */
  #select(ids: number[], scores: number[], max: number): number[] {
    const kept: number[] = [];
    const pruned: number[] = [];
    for (let i = 0; i < ids.length && kept.length < max; i++) {
      const c = ids[i];
      let ok = true;
      for (const k of kept)
        if (this.#dotN(c, ids[k]) > scores[i]) {
          ok = false;
          break;
        }
      if (ok) kept.push(i);
      else pruned.push(i);
    }
    for (let i = 0; i < pruned.length && kept.length < max; i++) kept.push(pruned[i]);
    return kept;
  }

  /** Links of `node` at `level` and their scores: [count, ids...] and [scores...]. */
  #slots(node: number, level: number): { arr: Int32Array; off: number; sc: Float32Array; soff: number } {
    if (level === 0) return { arr: this.#links0, off: node * (this.M0 + 1), sc: this.#scores0, soff: node * this.M0 };
    return { arr: this.#upper[node]![level - 1], off: 0, sc: this.#upperScores[node]![level - 1], soff: 0 };
  }

  #setLinks(node: number, level: number, ids: ArrayLike<number>, scores: ArrayLike<number>, picked: number[]): void {
    const { arr, off, sc, soff } = this.#slots(node, level);
    arr[off] = picked.length;
    for (let i = 0; i < picked.length; i++) {
      arr[off + 1 + i] = ids[picked[i]];
      sc[soff + i] = scores[picked[i]];
    }
    if (level === 0 && picked.length === this.M0) this.#findWeak0(node);
  }

  /** The first weakest link of node's full level-0 list. */
  #findWeak0(node: number): void {
    const sc = this.#scores0,
      soff = node * this.M0;
    let at = 0;
    for (let i = 1; i < this.M0; i++) if (sc[soff + i] < sc[soff + at]) at = i;
    this.#weakAt0[node] = at;
    this.#weak0[node] = sc[soff + at];
  }

  /** A new node's upper-level link arrays. */
  #makeUpper(node: number, level: number): void {
    this.#upper[node] = Array.from({ length: level }, () => new Int32Array(this.M + 1));
    this.#upperScores[node] = Array.from({ length: level }, () => new Float32Array(this.M));
    this.#upperBytes += level * (2 * (this.M + 1) * 4 + 32);
    this.#levels[node] = level;
  }

  /**
   * Link `other` back to `node` (their score is `s`); when full, the new link replaces the weakest
   * one if stronger. Link scores are kept, so this costs no vector arithmetic.
   */
  #connect(node: number, other: number, level: number, s: number): void {
    if (level === 0) {
      const off = other * (this.M0 + 1),
        soff = other * this.M0;
      const n = this.#links0[off];
      if (n < this.M0) {
        this.#links0[off + 1 + n] = node;
        this.#scores0[soff + n] = s;
        this.#links0[off] = n + 1;
        if (n + 1 === this.M0) this.#findWeak0(other);
        return;
      }
      // full: the new link replaces the first weakest one if stronger (same choice as the scan below)
      if (!(this.#weak0[other] < s)) return;
      const at = this.#weakAt0[other];
      this.#links0[off + 1 + at] = node;
      this.#scores0[soff + at] = s;
      this.#findWeak0(other);
      return;
    }
    const max = this.M;
    const { arr, off, sc, soff } = this.#slots(other, level);
    const n = arr[off];
    if (n < max) {
      arr[off + 1 + n] = node;
      sc[soff + n] = s;
      arr[off] = n + 1;
      return;
    }
    let weakest = -1,
      weakestScore = s;
    for (let i = 0; i < n; i++)
      if (sc[soff + i] < weakestScore) {
        weakestScore = sc[soff + i];
        weakest = i;
      }
    if (weakest >= 0) {
      arr[off + 1 + weakest] = node;
      sc[soff + weakest] = s;
    }
  }

  /** Insert a vector (length dim, L2-normalised); returns its node number. */
  add(vec: Float32Array, label: number): number {
    if (vec.length !== this.dim) throw new Error(`vector has ${vec.length} dimensions, the index ${this.dim}`);
    if (this.#size === this.#cap) this.#grow();
    const node = this.#size++;
    this.#vectors.set(vec, node * this.dim);
    this.#labels[node] = label;
    const level = Math.min(16, Math.floor(-Math.log(1 - this.#random()) * this.#levelMult));
    if (level > 0) this.#makeUpper(node, level);
    if (this.#entry < 0) {
      this.#entry = node;
      this.#maxLevel = level;
      return node;
    }
    let cur = this.#entry;
    for (let l = this.#maxLevel; l > level; l--) cur = this.#greedy(vec, cur, l);
    for (let l = Math.min(level, this.#maxLevel); l >= 0; l--) {
      this.#searchLayer(vec, cur, this.efConstruction, l);
      const { ids, scores } = this.#drain();
      cur = ids[0];
      const picked = this.#select(ids, scores, l === 0 ? this.M0 : this.M);
      this.#setLinks(node, l, ids, scores, picked);
      for (const p of picked) this.#connect(node, ids[p], l, scores[p]);
    }
    if (level > this.#maxLevel) {
      this.#maxLevel = level;
      this.#entry = node;
    }
    return node;
  }

  /** Highest level of `node` (0: level 0 only). */
  level(node: number): number {
    return this.#levels[node];
  }

  labelOf(node: number): number {
    return this.#labels[node];
  }

  /** The links of `node` chosen when it was inserted, per level: neighbour nodes and scores. */
  links(node: number): Array<{ nodes: number[]; scores: number[] }> {
    const out: Array<{ nodes: number[]; scores: number[] }> = [];
    for (let l = 0; l <= this.level(node); l++) {
      const { arr, off, sc, soff } = this.#slots(node, l);
      const nodes: number[] = [],
        scores: number[] = [];
      for (let i = 0; i < arr[off]; i++) {
        nodes.push(arr[off + 1 + i]);
        scores.push(sc[soff + i]);
      }
      out.push({ nodes, scores });
    }
    return out;
  }

  /**
   * Insert a vector with links decided elsewhere (a replay of another graph's insertion): the node
   * gets `links` (per level, existing nodes and their scores) and every neighbour links back as
   * in add(). No search, no vector arithmetic. Returns the node number.
   */
  addLinked(
    vec: Float32Array,
    label: number,
    links: Array<{ nodes: ArrayLike<number>; scores: ArrayLike<number> }>,
  ): number {
    if (vec.length !== this.dim) throw new Error(`vector has ${vec.length} dimensions, the index ${this.dim}`);
    if (this.#size === this.#cap) this.#grow();
    const node = this.#size++;
    this.#vectors.set(vec, node * this.dim);
    this.#labels[node] = label;
    const level = Math.min(16, links.length - 1);
    if (level > 0) this.#makeUpper(node, level);
    if (this.#entry < 0) {
      this.#entry = node;
      this.#maxLevel = level;
      return node;
    }
    for (let l = Math.min(level, this.#maxLevel); l >= 0; l--) {
      const max = l === 0 ? this.M0 : this.M;
      const ok = this.#picked;
      ok.length = 0;
      for (let i = 0; i < links[l].nodes.length && ok.length < max; i++) {
        const n = links[l].nodes[i];
        if (n >= 0 && n < node && this.level(n) >= l) ok.push(i);
      }
      this.#setLinks(node, l, links[l].nodes, links[l].scores, ok);
      for (const i of ok) this.#connect(node, links[l].nodes[i], l, links[l].scores[i]);
    }
    if (level > this.#maxLevel) {
      this.#maxLevel = level;
      this.#entry = node;
    }
    return node;
  }

  /** Tombstone a node: it keeps routing searches but is never returned. */
  remove(node: number): void {
    if (node < 0 || node >= this.#size || this.#deleted[node]) return;
    this.#deleted[node] = 1;
    this.#tombstones++;
  }

  /** The k nearest live nodes by inner product, best first. */
  search(q: Float32Array, k: number, ef = this.efSearch): Neighbour[] {
    if (this.#entry < 0 || this.live === 0) return [];
    let cur = this.#entry;
    for (let l = this.#maxLevel; l > 0; l--) cur = this.#greedy(q, cur, l);
    this.#searchLayer(q, cur, Math.max(ef, k), 0);
    const { ids, scores } = this.#drain();
    const out: Neighbour[] = [];
    for (let i = 0; i < ids.length && out.length < k; i++) {
      if (!this.#deleted[ids[i]]) out.push({ label: this.#labels[ids[i]], score: scores[i] });
    }
    return out;
  }

  /** Live nodes' (label, vector) pairs, for a rebuild. */
  *entries(): Generator<{ label: number; vector: Float32Array }> {
    for (let n = 0; n < this.#size; n++) {
      if (!this.#deleted[n])
        yield { label: this.#labels[n], vector: this.#vectors.subarray(n * this.dim, (n + 1) * this.dim) };
    }
  }
}
