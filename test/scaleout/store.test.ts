/** The Redis store in-process: the Store contract (TTL, increment TTL on creation), no auth imposed, /ready. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mock, redis } from '../../index.js';
import { startGateway } from '../helpers/gateway.js';
import { dropRedisPrefix, REDIS_URL, runId, services } from './helpers.js';

const skip = await services();
const prefix = `${runId('sy-store')}:`;
after(async () => { if (!skip) await dropRedisPrefix(prefix); });

test('Store contract: JSON values, PX TTL, delete, increment with TTL on creation only', { skip }, async () => {
  const s = redis({ url: REDIS_URL, prefix });
  await new Promise((r) => setTimeout(r, 100));
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
  await s.close();
});

test('store: redis() alone imposes no client auth, and /ready reports it', { skip }, async () => {
  const t = await startGateway({ providers: [mock()], auth: false, store: redis({ url: REDIS_URL, prefix }), cache: {} });
  try {
    const r = await t.client.chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: 'hello' }] });
    assert.ok(r.choices[0].message.content);
    const ready = await (await fetch(`${t.url}/ready`)).json() as any;
    assert.equal(ready.status, 'ready');
    assert.equal(ready.checks.redis.state, 'up');
  } finally {
    await t.close();
  }
});
