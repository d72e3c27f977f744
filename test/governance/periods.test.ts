/** Calendar periods in IANA time zones, and GCRA in the in-memory quota store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localLabel, periodWindow } from '../../plugins/governance/periods.js';
import { MemoryQuotaStore } from '../../plugins/governance/quota.js';

test('day, week and month windows are calendar-aligned in the time zone (DST included)', () => {
  const t = Date.parse('2025-03-30T12:00:00Z'); // Sunday; Europe/Berlin switches to CEST at 01:00 UTC
  const day = periodWindow('day', t, 'Europe/Berlin');
  assert.equal(new Date(day.start).toISOString(), '2025-03-29T23:00:00.000Z');
  assert.equal(new Date(day.end).toISOString(), '2025-03-30T22:00:00.000Z'); // a 23-hour day
  assert.equal(day.label, '2025-03-30');
  const week = periodWindow('week', t, 'Europe/Berlin');
  assert.equal(new Date(week.start).toISOString(), '2025-03-23T23:00:00.000Z'); // Monday 24 March, 00:00 CET
  const month = periodWindow('month', Date.parse('2025-01-31T23:30:00Z'), 'America/New_York');
  assert.equal(month.label, '2025-01');
  assert.equal(new Date(month.start).toISOString(), '2025-01-01T05:00:00.000Z');
  assert.equal(new Date(month.end).toISOString(), '2025-02-01T05:00:00.000Z');
  assert.equal(periodWindow('month', Date.parse('2025-02-01T00:30:00Z'), 'UTC').label, '2025-02');
  assert.equal(localLabel(Date.parse('2025-06-01T20:15:00Z'), 'hour', 'Asia/Kolkata'), '2025-06-02T01');
  assert.equal(periodWindow('lifetime', t, 'UTC').end, Number.POSITIVE_INFINITY);
});

test('GCRA: a minute of burst, then one unit per interval; all-or-nothing over several keys', async () => {
  const q = new MemoryQuotaStore();
  const now = 1_000_000;
  const item = { key: 'k', cost: 1, limit: 3, windowMs: 60_000 };
  for (let i = 0; i < 3; i++) assert.equal((await q.rate([item], now)).ok, true);
  const refused = await q.rate([item], now);
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.retryAfterMs, 20_000);
  assert.equal((await q.rate([item], now + 20_000)).ok, true);
  const other = { key: 'other', cost: 1, limit: 10, windowMs: 60_000 };
  assert.equal((await q.rate([other, item], now + 20_000)).ok, false);
  const r = await q.rate([other], now + 20_000);
  assert.equal(r.ok && r.states[0].remaining, 9, 'the refused call took nothing from "other"');
});

test('budget holds are all-or-nothing and settle to the actual amount', async () => {
  const q = new MemoryQuotaStore();
  assert.deepEqual(
    await q.reserve([
      { key: 'a', amount: 60, limit: 100 },
      { key: 'b', amount: 60, limit: 100 },
    ]),
    { ok: true },
  );
  const r = await q.reserve([
    { key: 'a', amount: 30, limit: 100 },
    { key: 'b', amount: 50, limit: 100 },
  ]);
  assert.equal(r.ok, false);
  assert.deepEqual(await q.get('a'), { spent: 0, held: 60 }, 'a was not held for the refused call');
  await q.settle([{ key: 'a', reserved: 60, actual: 7 }]);
  assert.deepEqual(await q.get('a'), { spent: 7, held: 0 });
  await q.seed('a', 999);
  assert.deepEqual(await q.get('a'), { spent: 7, held: 0 }, 'seed never overwrites');
});

test('config mistakes stop the boot with the plugin and option named', async () => {
  const { createGateway } = await import('../../index.js');
  const { memoryLogger } = await import('../helpers/gateway.js');
  const boot = (governance: object) =>
    createGateway({
      logger: memoryLogger([]),
      providers: [],
      governance: { ledger: { path: ':memory:' }, ...governance },
    });
  await assert.rejects(
    boot({ timeZone: 'Mars/Olympus' }),
    /Plugin "governance": option "timeZone" must be an IANA time zone/,
  );
  await assert.rejects(
    boot({ keys: [{ id: 'x' }] }),
    /Plugin "governance": option "keys\[0\]" needs `key` or `keyHash` \(id "x"\)/,
  );
  await assert.rejects(
    boot({ budgets: { global: [{ limitUsd: 5, period: 'year' }] } }),
    /Plugin "governance": option "budgets.global\[0\].period" must be one of/,
  );
});

test('periodWindow reuses the current window and moves on exactly at its end', () => {
  const t = Date.UTC(2026, 2, 28, 12); // the day before the 2026 DST change in Berlin
  const a = periodWindow('day', t, 'Europe/Berlin');
  assert.equal(periodWindow('day', t + 3_600_000, 'Europe/Berlin'), a, 'same day: the same (frozen) window');
  assert.ok(Object.isFrozen(a));
  assert.equal(periodWindow('day', a.end - 1, 'Europe/Berlin').label, a.label);
  const next = periodWindow('day', a.end, 'Europe/Berlin');
  assert.equal(next.label, '2026-03-29');
  assert.equal(next.start, a.end);
  assert.equal(next.end - next.start, 23 * 3_600_000, 'the DST day is 23 hours long');
  // Another zone or period is its own entry, and an earlier instant is computed again.
  assert.equal(periodWindow('day', t, 'America/New_York').label, '2026-03-28');
  assert.equal(periodWindow('day', a.start - 1, 'Europe/Berlin').label, '2026-03-27');
  assert.equal(periodWindow('month', t, 'Europe/Berlin').label, '2026-03');
});
