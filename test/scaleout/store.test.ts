/** The Redis store in-process: the Store contract (TTL, increment TTL on creation), no auth imposed, /ready. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { mock, redis } from '../../index.js';
import { startGateway } from '../helpers/gateway.js';
import { dropRedisPrefix, REDIS_URL, runId, services } from './helpers.js';

const skip = await services();
const prefix = `${runId('sy-store')}:`;
after(async () => {
  if (!skip) await dropRedisPrefix(prefix);
});
/** A new store connects in the background and refuses commands until then (no offline queue). */
const connected = async (s: ReturnType<typeof redis>) => {
  if (s.client.status !== 'ready') await once(s.client, 'ready');
};

test('Store contract: JSON values, PX TTL, delete, increment with TTL on creation only', { skip }, async () => {
  const s = redis({ url: REDIS_URL, prefix });
  try {
    await connected(s);
    await s.set('cache:a', { x: [1, 'two'] }, 150);
    assert.deepEqual(await s.get('cache:a'), { x: [1, 'two'] });
    assert.equal(await s.increment('breaker:n', 1, 150), 1);
    assert.equal(await s.increment('breaker:n', 2.5, 10_000), 3.5);
    assert.ok((await s.client.pttl('breaker:n')) <= 150, 'the TTL of the creating call stays');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await s.get('cache:a'), undefined);
    assert.equal(await s.get('breaker:n'), undefined);
    await s.set('cache:b', 'v');
    assert.equal(await s.delete('cache:b'), true);
    assert.equal(await s.delete('cache:b'), false);
  } finally {
    await s.close();
  }
});

test('a burst that finds a budget counter missing reads the ledger once for it (no pool exhaustion)', {
  skip,
}, async () => {
  const s = redis({ url: REDIS_URL, prefix });
  try {
    await connected(s);
    const reads: string[][] = [];
    const quota = s.quota(async (keys) => {
      reads.push(keys);
      await new Promise((r) => setImmediate(r));
      return new Map(keys.map((k) => [k, 1_000]));
    });
    const key = `budget:burst:${runId('k')}`;
    const results = await Promise.all(
      Array.from({ length: 100 }, () => quota.reserve([{ key, amount: 10, limit: 1_000_000 }])),
    );
    assert.ok(
      results.every((r) => r.ok),
      'all admitted',
    );
    assert.deepEqual(reads, [[key]], 'one ledger read for 100 concurrent misses');
    assert.deepEqual(
      await quota.get(key),
      { spent: 1_000, held: 1_000 },
      'seeded once with the persisted spend, then 100 holds',
    );
  } finally {
    await s.close();
  }
});

test('store: redis() alone imposes no client auth, and /ready reports it', { skip }, async () => {
  const t = await startGateway({
    providers: [mock()],
    auth: false,
    store: redis({ url: REDIS_URL, prefix }),
    cache: {},
  });
  try {
    const r = await t.client.chat.completions.create({
      model: 'mock-small',
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.ok(r.choices[0].message.content);
    const ready = (await (await fetch(`${t.url}/ready`)).json()) as any;
    assert.equal(ready.status, 'ready');
    assert.equal(ready.checks.redis.state, 'up');
  } finally {
    await t.close();
  }
});
