/**
 * A governance config refused for its keys opens nothing: no SQLite ledger file is created (the default
 * path is ./switchyard-usage.db, in whatever directory the gateway was started from) and none is held open.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, createGateway, governance, mock } from '../../index.js';

const KEY = 'k'.repeat(20);

test('keys refused in the config: a ConfigError, and no ledger file left behind', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-refused-'));
  try {
    const cases = [
      {
        keys: [
          { id: 'a', key: KEY },
          { id: 'a', key: `${KEY}x` },
        ],
        detail: /repeats the id "a"/,
      },
      { keys: [{ id: 'b' }], detail: /needs `key` or `keyHash`/ },
    ];
    for (const [i, c] of cases.entries()) {
      const file = path.join(dir, `ledger-${i}.db`);
      await assert.rejects(
        createGateway({
          logging: { level: 'silent' },
          providers: [mock()],
          plugins: [governance({ keys: c.keys as never, ledger: { path: file } })],
        }),
        (e) => e instanceof ConfigError && c.detail.test(e.message),
      );
      assert.equal(existsSync(file), false, `no ledger file for a refused config (${c.detail})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
