/**
 * The ledger's batch hand-over format (plugins/governance/ledger/entry-codec.ts): entries packed into one
 * flat array for the writer thread come back equal, optional fields absent stay absent, and a malformed
 * array is refused rather than written as shifted columns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packEntries, unpackEntries } from '../../plugins/governance/ledger/entry-codec.js';
import type { LedgerEntry, LedgerRecord } from '../../plugins/governance/ledger/types.js';

const base: LedgerRecord = {
  time: 1_790_000_000_123,
  requestId: 'req-1',
  keyId: null,
  project: null,
  provider: 'openai',
  model: 'gpt-4o-mini',
  requestedModel: 'fast',
  operation: 'chat',
  stream: true,
  status: 200,
  errorCode: null,
  cache: 'miss',
  inputTokens: 12,
  cachedTokens: 3,
  cacheWriteTokens: 0,
  outputTokens: 9,
  reasoningTokens: 1,
  totalTokens: 21,
  costPusd: 9_007_199_254_740_991,
  costSavedPusd: 0,
  latencyMs: 1.234,
  upstreamMs: 0.9,
  ttftMs: null,
  attempts: 2,
  aborted: false,
  shadow: false,
  tags: ['a', 'b'],
};

const full: LedgerRecord = {
  ...base,
  requestId: 'req-2',
  keyId: 'k1',
  project: 'p',
  ttftMs: 0.5,
  errorCode: 'rate_limited',
  guardrails: [{ policy: 'pii', rule: 'pii.email', action: 'redact', phase: 'input', count: 2 }],
  usageEstimated: true,
  endUser: 'user-7',
  units: { images: 2, imageSize: '1024x1024' },
};

test('entries packed for the writer thread come back equal, in order, with their charges', () => {
  const entries: LedgerEntry[] = [
    { record: base, charges: [] },
    {
      record: full,
      charges: [
        { key: 'gov:budget:key:k1:month:x', pusd: 1234, expiresAt: 1_790_086_400_000 },
        { key: 'gov:budget:project:p:total', pusd: 0, expiresAt: null },
      ],
    },
    { record: { ...base, requestId: 'req-3', endUser: null }, charges: [{ key: 'c', pusd: 1, expiresAt: null }] },
  ];
  const packed = packEntries(entries);
  // what postMessage does to it on the way
  const back = unpackEntries(structuredClone(packed));
  assert.deepEqual(back, entries);
  // absent optional fields are not there as undefined (a record is read by `in` and spread elsewhere)
  assert.deepEqual(Object.keys(back[0].record).sort(), Object.keys(base).sort());
  assert.equal(back[2].record.endUser, null);
  assert.deepEqual(unpackEntries(packEntries([])), []);
});

test('a malformed packed batch is refused, not written as shifted columns', () => {
  const packed = packEntries([{ record: full, charges: [{ key: 'c', pusd: 1, expiresAt: null }] }]);
  assert.throws(() => unpackEntries(packed.slice(0, -1)), /malformed/);
  assert.throws(() => unpackEntries(packed.slice(0, 10)), /malformed/);
  assert.throws(() => unpackEntries([...packed, 'extra']), /malformed/);
});
