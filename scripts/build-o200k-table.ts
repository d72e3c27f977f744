/**
 * Write dist/tokenizer/o200k_base.bpe (core/o200k-base.ts) from gpt-tokenizer's o200k_base ranks.
 * `npm run build` (and so `npm ci`, through `prepare`) runs it; the file is not committed (dist/ is ignored).
 * CLI: `tsx scripts/build-o200k-table.ts [out-file]`.
 *
 * gpt-tokenizer keeps a token as a string when its bytes decode as UTF-8, else as a byte array, and looks
 * bytes up as a string whenever they are valid UTF-8. Nine tokens are valid UTF-8 that begin with U+FEFF
 * and are kept as byte arrays (a decoder drops a leading BOM, so they did not round-trip): it can never find
 * them, so their counts come from other tokens. The table leaves them out (length 0) to count the same.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBpeFile, O200K_RANKS, o200kTablePath } from '../core/o200k-base.js';

/** The table's lengths and bytes, from gpt-tokenizer (a dev dependency). */
export async function o200kTableFromGptTokenizer(): Promise<{ lengths: Uint8Array; bytes: Uint8Array }> {
  const { default: ranks } = (await import('gpt-tokenizer/bpeRanks/o200k_base')) as {
    default: (string | number[])[];
  };
  if (ranks.length !== O200K_RANKS) throw new Error(`gpt-tokenizer has ${ranks.length} o200k ranks`);
  const utf8 = new TextEncoder();
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const tokens: Uint8Array[] = [];
  let total = 0;
  for (let r = 0; r < ranks.length; r++) {
    const v = ranks[r];
    let token: Uint8Array;
    if (typeof v === 'string') token = utf8.encode(v);
    else {
      if (v === undefined) throw new Error(`gpt-tokenizer's o200k rank ${r} is a hole`);
      token = Uint8Array.from(v);
      let text = true;
      try {
        strict.decode(token);
      } catch {
        text = false;
      }
      if (text) token = new Uint8Array(0); // never found by gpt-tokenizer (see the file comment)
    }
    if (token.length > 255) throw new Error(`o200k rank ${r} is longer than 255 bytes`);
    tokens.push(token);
    total += token.length;
  }
  const lengths = new Uint8Array(tokens.length);
  const bytes = new Uint8Array(total);
  let at = 0;
  tokens.forEach((t, r) => {
    lengths[r] = t.length;
    bytes.set(t, at);
    at += t.length;
  });
  return { lengths, bytes };
}

export async function writeO200kTable(out = o200kTablePath()): Promise<string> {
  const { lengths, bytes } = await o200kTableFromGptTokenizer();
  mkdirSync(dirname(out), { recursive: true });
  // write then rename: a concurrent reader never sees half a file
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, encodeBpeFile(lengths, bytes));
  renameSync(tmp, out);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await writeO200kTable(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${out}`);
}
