/**
 * Budget windows in UTC (the default zone): plain calendar arithmetic, no Intl. In a file of its own:
 * the module caches its formatters, and no other test may have asked for one first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localLabel, periodWindow } from '../../plugins/governance/periods.js';

test('UTC windows and labels are computed without Intl, and match what Intl gives for Etc/UTC', () => {
  // Intl.DateTimeFormat pulls ICU's zone and locale data into the process (~8 MB of resident memory,
  // bench/profile-notes.md): the default zone is plain calendar arithmetic.
  const original = Intl.DateTimeFormat;
  let made = 0;
  const counting = function (this: unknown, ...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
    made++;
    return new original(...args);
  } as unknown as typeof Intl.DateTimeFormat;
  Intl.DateTimeFormat = counting;
  try {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4e12; // 1970..2096
    const instants = [0, Date.parse('2024-02-29T23:59:59.999Z'), Date.parse('2025-12-31T23:59:59Z')];
    for (let i = 0; i < 300; i++) instants.push(Math.floor(rand()));
    const utc: unknown[] = [];
    for (const t of instants) {
      for (const p of ['day', 'week', 'month'] as const) utc.push(periodWindow(p, t, 'UTC'));
      utc.push(localLabel(t, 'day', 'UTC'), localLabel(t, 'hour', 'UTC'));
    }
    assert.equal(made, 0, 'no Intl.DateTimeFormat for UTC');
    const viaIntl: unknown[] = [];
    for (const t of instants) {
      for (const p of ['day', 'week', 'month'] as const) viaIntl.push(periodWindow(p, t, 'Etc/UTC'));
      viaIntl.push(localLabel(t, 'day', 'Etc/UTC'), localLabel(t, 'hour', 'Etc/UTC'));
    }
    assert.ok(made > 0, 'Etc/UTC goes through Intl');
    assert.deepEqual(utc, viaIntl);
  } finally {
    Intl.DateTimeFormat = original;
  }
});
