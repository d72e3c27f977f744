/**
 * Token counts of a byte-level BPE encoding (tiktoken's scheme) without token ids: text is split into
 * pieces by a regex; a piece whose UTF-8 bytes are a token counts 1, any other starts as single bytes and
 * repeatedly merges the adjacent pair whose concatenation has the lowest rank (the leftmost of equals)
 * until no pair is a token; it counts its parts.
 *
 * The vocabulary is typed arrays (the bytes of every token in rank order, an open-addressing hash from
 * bytes to where they are, a direct table of two-byte tokens): ~2.8 MiB for o200k_base's 200k tokens,
 * against ~57 MiB of RSS for gpt-tokenizer's array of strings and Map. Counts equal gpt-tokenizer 4's
 * `countTokens(text, { disallowedSpecial: new Set() })`, including two of its lookup rules
 * (test/core/o200k-counter.test.ts checks a large corpus):
 * - a piece holding a lone surrogate is never a token as a whole (its Map has only well-formed keys); its
 *   bytes (U+FFFD for the surrogate, as TextEncoder writes it) are merged;
 * - bytes that are valid UTF-8 are looked up as text decoded by a TextDecoder, which drops a leading
 *   U+FEFF: `EF BB BF` + X has the rank of X. (Tokens that begin with U+FEFF are thus never found; the
 *   table file leaves them out, see core/o200k-base.ts.)
 */

/** A free hash slot. */
const EMPTY = -1;
/** "Not a token" in the merge loops: above every token's order. */
const NONE = 0x7fffffff;
/** Pieces longer than this many bytes merge through a heap (n log n) instead of rescanning (n^2): the two
 * cost the same at ~100 bytes of random letters. */
const LINEAR_MAX = 128;
/** The scratch buffers kept between calls hold pieces up to this many bytes; longer ones get their own. */
const SCRATCH_BYTES = 16 * 1024;
const TWO_32 = 2 ** 32;

/**
 * A vocabulary for counting. Tokens are known by their offset in `bytes`, where they lie in rank order: a
 * lower offset is a lower rank, which is all the merge needs (ranks themselves are never stored).
 */
export interface BpeTable {
  /** Every token's bytes, concatenated in rank order. */
  readonly bytes: Uint8Array;
  /**
   * Open addressing with linear probing, by a hash of the bytes: offset * 256 + length of a token, EMPTY
   * when free (one read finds both, and a wrong length is rejected without touching `bytes`).
   */
  readonly slots: Int32Array;
  /** The offset of each two-byte token by its bytes (b0 * 256 + b1), NONE when that pair is no token. */
  readonly pairs: Int32Array;
  /** The longest token, in bytes. */
  readonly maxTokenBytes: number;
}

/** FNV-1a over buf[start, end), then a final mix so the low bits index the table well. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * The table of a vocabulary given as each rank's byte length (0: a rank left out) and all tokens' bytes
 * concatenated in rank order. `bytes` is kept, not copied.
 */
export function bpeTable(lengths: Uint8Array, bytes: Uint8Array): BpeTable {
  let total = 0;
  let maxTokenBytes = 0;
  for (let r = 0; r < lengths.length; r++) {
    total += lengths[r];
    if (lengths[r] > maxTokenBytes) maxTokenBytes = lengths[r];
  }
  if (total !== bytes.length) throw new Error('BPE table: the lengths do not add up to the bytes');
  if (total >= 2 ** 23) throw new Error('BPE table: more than 8 MiB of token bytes');
  // at most 80% full. A slot holds its token's length, so a probe past another token is one read of
  // consecutive memory: o200k_base's 200k tokens in 2^18 slots (1 MiB, 76% full) count as fast as in
  // 2^19 (40% full) and keep 1 MiB less resident (bench/profile-notes.md, eighth round).
  let size = 1024;
  while (size < lengths.length * 1.25) size *= 2;
  const slots = new Int32Array(size).fill(EMPTY);
  const pairs = new Int32Array(65536).fill(NONE);
  const mask = size - 1;
  let offset = 0;
  for (let r = 0; r < lengths.length; r++) {
    const len = lengths[r];
    if (len === 0) continue;
    let slot = hashBytes(bytes, offset, offset + len) & mask;
    for (let other = slots[slot]; other !== EMPTY; other = slots[slot]) {
      if ((other & 255) === len && sameBytes(bytes, other >>> 8, offset, len))
        throw new Error(`BPE table: rank ${r} repeats the bytes of an earlier rank`);
      slot = (slot + 1) & mask;
    }
    slots[slot] = offset * 256 + len;
    if (len === 2) pairs[bytes[offset] * 256 + bytes[offset + 1]] = offset;
    offset += len;
  }
  return { bytes, slots, pairs, maxTokenBytes };
}

function sameBytes(bytes: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/**
 * A counter of `table`'s tokens in text split by `split` (pieces as `text.matchAll(split)` finds them).
 * Calls are synchronous, so they share scratch buffers. `linearMax` (tests): the longest piece, in bytes,
 * merged by rescanning; longer ones use the heap.
 */
export function bpeCounter(table: BpeTable, split: RegExp, linearMax = LINEAR_MAX): (text: string) => number {
  const { bytes: vocab, slots, pairs, maxTokenBytes } = table;
  const mask = slots.length - 1;
  // Pieces tile the text when the pattern matches at every position (tiktoken's do): a sticky test() finds
  // each one without building a match array. Where it does not match, a global search skips to the next
  // piece as matchAll does.
  const sticky = new RegExp(split.source, `${split.flags.replace(/[gy]/g, '')}y`);
  const search = new RegExp(split.source, `${split.flags.replace(/[gy]/g, '')}g`);
  const unicode = /[uv]/.test(split.flags);
  let buf = new Uint8Array(1024);
  const starts = new Int32Array(linearMax + 1);
  const ranks = new Int32Array(linearMax + 1);

  /**
   * Where the token buf[start, end) lies in the vocabulary (ordered as its rank), or NONE. "Rank" below
   * means this offset.
   */
  const rank = (start: number, end: number): number => {
    const len = end - start;
    if (len === 2) return pairs[buf[start] * 256 + buf[start + 1]];
    if (len > maxTokenBytes || len === 0) return NONE;
    let slot = hashBytes(buf, start, end) & mask;
    for (let entry = slots[slot]; entry !== EMPTY; entry = slots[slot]) {
      if ((entry & 255) === len) {
        const o = entry >>> 8;
        let i = 0;
        while (i < len && vocab[o + i] === buf[start + i]) i++;
        if (i === len) return o;
      }
      slot = (slot + 1) & mask;
    }
    return NONE;
  };

  /** The piece in buf: its length, and whether it holds U+FEFF. */
  let n = 0;
  let bom = false;

  /**
   * The rank of a pair in the piece. With U+FEFF, as gpt-tokenizer ranks it: bytes that are valid UTF-8
   * (the range ends on a character boundary: the piece is valid UTF-8 and EF starts a character) and begin
   * with EF BB BF are looked up without those three.
   */
  const pairRank = (start: number, end: number): number => {
    if (bom && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf && end - start >= 3) {
      if (end === n || (buf[end] & 0xc0) !== 0x80) return rank(start + 3, end);
    }
    return rank(start, end);
  };

  /** Parts left after merging the n bytes of buf, rescanning for the lowest rank (short pieces). */
  const mergeLinear = (): number => {
    let parts = n;
    for (let i = 0; i <= n; i++) starts[i] = i;
    for (let i = 0; i < n - 1; i++) ranks[i] = pairRank(i, i + 2);
    ranks[n - 1] = NONE;
    while (parts > 1) {
      let min = NONE;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        if (ranks[i] < min) {
          min = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      // part `at` absorbs part at + 1: its end boundary goes, and so does that part's pair rank
      for (let i = at + 1; i < parts; i++) starts[i] = starts[i + 1];
      for (let i = at + 1; i < parts - 1; i++) ranks[i] = ranks[i + 1];
      parts--;
      ranks[at] = at + 1 < parts ? pairRank(starts[at], starts[at + 2]) : NONE;
      if (at > 0) ranks[at - 1] = pairRank(starts[at - 1], starts[at + 1]);
    }
    return parts;
  };

  /**
   * The same merge for long pieces: parts as a linked list by start byte, candidate pairs in a binary heap
   * keyed rank * 2^32 + start (lowest rank, then leftmost: the order of the rescan), stale entries skipped.
   */
  const mergeHeap = (): number => {
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const current = new Int32Array(n); // the rank of the pair a live part starts, NONE if none or dead
    let heap = new Float64Array(n + 16);
    let size = 0;
    const push = (key: number) => {
      if (size === heap.length) {
        const bigger = new Float64Array(heap.length * 2);
        bigger.set(heap);
        heap = bigger;
      }
      let i = size++;
      while (i > 0) {
        const up = (i - 1) >> 1;
        if (heap[up] <= key) break;
        heap[i] = heap[up];
        i = up;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap[--size];
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && heap[child + 1] < heap[child]) child++;
        if (heap[child] >= last) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
      return top;
    };
    for (let s = 0; s < n; s++) {
      next[s] = s + 1;
      prev[s] = s - 1;
      const r = s + 2 <= n ? pairRank(s, s + 2) : NONE;
      current[s] = r;
      if (r !== NONE) push(r * TWO_32 + s);
    }
    let parts = n;
    while (size > 0) {
      const key = pop();
      const r = Math.floor(key / TWO_32);
      const s = key - r * TWO_32;
      // A part's pair ranks differ for different ends (a rank is one byte string), so equal means current.
      if (current[s] !== r) continue;
      const t = next[s];
      const u = next[t];
      current[t] = NONE;
      next[s] = u;
      if (u < n) prev[u] = s;
      parts--;
      const after = u < n ? pairRank(s, next[u]) : NONE;
      current[s] = after;
      if (after !== NONE) push(after * TWO_32 + s);
      if (s > 0) {
        const p = prev[s];
        const before = pairRank(p, u);
        current[p] = before;
        if (before !== NONE) push(before * TWO_32 + p);
      }
    }
    return parts;
  };

  /** Tokens of text[start, end), one piece. */
  const countPiece = (text: string, start: number, end: number): number => {
    const need = (end - start) * 3;
    if (need > buf.length) {
      if (need <= SCRATCH_BYTES) buf = new Uint8Array(SCRATCH_BYTES);
      else buf = new Uint8Array(need);
    }
    // UTF-8 as TextEncoder writes it (a lone surrogate becomes U+FFFD)
    n = 0;
    bom = false;
    let wellFormed = true;
    for (let i = start; i < end; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) buf[n++] = c;
      else if (c < 0x800) {
        buf[n++] = 0xc0 | (c >> 6);
        buf[n++] = 0x80 | (c & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
            i++;
            buf[n++] = 0xf0 | (c >> 18);
            buf[n++] = 0x80 | ((c >> 12) & 0x3f);
            buf[n++] = 0x80 | ((c >> 6) & 0x3f);
            buf[n++] = 0x80 | (c & 0x3f);
            continue;
          }
          wellFormed = false;
          c = 0xfffd;
        } else if (c === 0xfeff) bom = true;
        buf[n++] = 0xe0 | (c >> 12);
        buf[n++] = 0x80 | ((c >> 6) & 0x3f);
        buf[n++] = 0x80 | (c & 0x3f);
      }
    }
    if (wellFormed && rank(0, n) !== NONE) return 1;
    return n <= linearMax ? mergeLinear() : mergeHeap();
  };

  return (text: string): number => {
    let count = 0;
    let at = 0;
    while (at < text.length) {
      sticky.lastIndex = at;
      if (!sticky.test(text)) {
        search.lastIndex = at;
        const next = search.exec(text);
        if (next === null) break;
        at = next.index;
        continue;
      }
      const end = sticky.lastIndex;
      if (end > at) {
        count += countPiece(text, at, end);
        at = end;
      } else {
        // an empty piece (none in tiktoken's patterns) counts 0: step over a character, as matchAll does
        const pair =
          unicode && (text.charCodeAt(at) & 0xfc00) === 0xd800 && (text.charCodeAt(at + 1) & 0xfc00) === 0xdc00;
        at += pair ? 2 : 1;
      }
    }
    if (buf.length > SCRATCH_BYTES) buf = new Uint8Array(SCRATCH_BYTES); // do not keep a huge piece's buffer
    return count;
  };
}
