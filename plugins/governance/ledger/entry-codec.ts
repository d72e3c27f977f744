/**
 * A batch of ledger entries as one flat array of values, for the hand-over to the writer thread
 * (sqlite-writer.ts -> sqlite-thread.ts). postMessage's structured clone writes every object's property
 * names and the receiving thread builds each object key by key: a batch of 64 objects cost ~9 µs of CPU
 * per record in both threads together, the same values as a flat array ~4 µs (bench/profile-notes.md,
 * twenty-first round). The thread turns the array back into the same entries; every field of a record
 * (types.ts RECORD_FIELDS) is packed, absent optional ones as undefined.
 */
import { type Charge, type LedgerEntry, type LedgerRecord, RECORD_FIELDS as FIELDS } from './types.js';

/** The entries as [record fields..., charge count, (key, pusd, expiresAt) per charge] per entry. */
export function packEntries(entries: readonly LedgerEntry[]): unknown[] {
  const out: unknown[] = [];
  for (const { record, charges } of entries) {
    for (const f of FIELDS) out.push(record[f]);
    out.push(charges.length);
    for (const c of charges) out.push(c.key, c.pusd, c.expiresAt);
  }
  return out;
}

/** The entries packEntries was given (absent optional fields stay absent). Throws on a malformed array. */
export function unpackEntries(flat: readonly unknown[]): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  let i = 0;
  while (i < flat.length) {
    const record: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const v = flat[i++];
      if (v !== undefined) record[f] = v;
    }
    const n = flat[i++];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || i + 3 * n > flat.length) {
      throw new Error('ledger batch: malformed packed entries');
    }
    const charges: Charge[] = [];
    for (let k = 0; k < n; k++, i += 3) {
      charges.push({ key: flat[i] as string, pusd: flat[i + 1] as number, expiresAt: flat[i + 2] as number | null });
    }
    entries.push({ record: record as unknown as LedgerRecord, charges });
  }
  return entries;
}
