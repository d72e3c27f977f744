/**
 * OpenAI's o200k_base encoding as a token counter (core/bpe-counter.ts): its split pattern, and its
 * vocabulary read from dist/tokenizer/o200k_base.bpe, which `npm run build` writes from gpt-tokenizer's
 * ranks (scripts/build-o200k-table.ts; gpt-tokenizer is only a dev dependency).
 *
 * The file: "BPE1", the rank count and the byte total (uint32 LE), one length byte per rank (0: a rank left
 * out), then every token's bytes in rank order. ~1.6 MB; loaded it costs ~4 MiB with the hash table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bpeCounter, bpeTable } from './bpe-counter.js';
import { packageRoot } from './package-root.js';

/** o200k_base's pre-tokenizer (tiktoken's, as gpt-tokenizer 4 writes it; a test pins the two equal). */
const CONTRACTION = "(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?";
export const O200K_SPLIT = new RegExp(
  [
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+${CONTRACTION}`,
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*${CONTRACTION}`,
    String.raw`\p{N}{1,3}`,
    String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
    String.raw`\s*[\r\n]+`,
    String.raw`\s+(?!\S)`,
    String.raw`\s+`,
  ].join('|'),
  'gu',
);

/** o200k_base's mergeable ranks (its special tokens, 199999 and up, are counted as text here). */
export const O200K_RANKS = 199_998;

const MAGIC = 'BPE1';
const HEADER = 12;

/** Where the build writes the table, in the package (the same for dist/ and the TypeScript sources). */
export function o200kTablePath(root = packageRoot()): string {
  return join(root, 'dist', 'tokenizer', 'o200k_base.bpe');
}

/** The file's bytes for a vocabulary given as lengths by rank and the tokens' bytes concatenated. */
export function encodeBpeFile(lengths: Uint8Array, bytes: Uint8Array): Uint8Array {
  const file = new Uint8Array(HEADER + lengths.length + bytes.length);
  const view = new DataView(file.buffer);
  for (let i = 0; i < MAGIC.length; i++) file[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, lengths.length, true);
  view.setUint32(8, bytes.length, true);
  file.set(lengths, HEADER);
  file.set(bytes, HEADER + lengths.length);
  return file;
}

/** The lengths and bytes of a file written by encodeBpeFile (views into `file`, not copies). */
export function decodeBpeFile(file: Uint8Array, what = 'BPE table'): { lengths: Uint8Array; bytes: Uint8Array } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = String.fromCharCode(...file.subarray(0, MAGIC.length));
  const ranks = file.length >= HEADER ? view.getUint32(4, true) : 0;
  const total = file.length >= HEADER ? view.getUint32(8, true) : 0;
  if (magic !== MAGIC || file.length !== HEADER + ranks + total) throw new Error(`${what} is not a BPE1 table file`);
  return {
    lengths: file.subarray(HEADER, HEADER + ranks),
    bytes: file.subarray(HEADER + ranks),
  };
}

/** The o200k_base counter, from the table file (synchronous: ~10 ms). */
export function loadO200kCounter(path = o200kTablePath()): (text: string) => number {
  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (err) {
    const e = new Error(
      `cannot read the o200k_base token table ${path} (${(err as Error).message}): ` +
        '`npm run build` (or `npm run build:tokenizer`) writes it',
    );
    throw Object.assign(e, { cause: err });
  }
  const { lengths, bytes } = decodeBpeFile(file, path);
  if (lengths.length !== O200K_RANKS) throw new Error(`${path} has ${lengths.length} ranks, not ${O200K_RANKS}`);
  return bpeCounter(bpeTable(lengths, bytes), O200K_SPLIT);
}
