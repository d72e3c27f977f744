/** The breaker's hot path: trusted "closed" readings, successes counted in memory, shared state. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../core/store.js';
import { Breaker, CLOSED_TRUST_MS } from '../../plugins/failover/breaker.js';

/** A MemoryStore that counts the operations made on it. */
class CountingStore extends MemoryStore {
  ops = 0;
  override async get<T>(key: string): Promise<T | undefined> {
    this.ops++;
    return super.get<T>(key);
  }
  override async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.ops++;
    return super.set(key, value, ttlMs);
  }
  override async increment(key: string, by: number, ttlMs?: number): Promise<number> {
    this.ops++;
    return super.increment(key, by, ttlMs);
  }
  override async delete(key: string): Promise<boolean> {
    this.ops++;
    return super.delete(key);
  }
}

test('a closed breaker serves requests without touching the store, and the window count stays exact', async () => {
  const store = new CountingStore();
  const b = new Breaker(store);
  assert.equal(await b.allow('p/m'), true);
  const afterFirstRead = store.ops;
  assert.ok(afterFirstRead > 0, 'the first reading comes from the store');
  for (let i = 0; i < 100; i++) {
    assert.equal(await b.allow('p/m'), true);
    b.record('p/m', true);
  }
  assert.equal(store.ops, afterFirstRead, '100 successful requests: no store operation');
  const snap = await b.snapshot('p/m'); // flushes the successes counted in memory
  assert.equal(snap.window.requests, 100);
  assert.equal(snap.state, 'closed');
});

test('successes counted in memory take part in the failure rate', async () => {
  const b = new Breaker(new MemoryStore(), { minRequests: 2, failureRate: 0.5, failureThreshold: 100 });
  assert.equal(await b.allow('p/m'), true);
  for (let i = 0; i < 9; i++) b.record('p/m', true);
  b.record('p/m', false);
  b.record('p/m', false);
  await b.flush();
  const snap = await b.snapshot('p/m');
  assert.deepEqual(snap.window, { requests: 11, failures: 2 });
  assert.equal(snap.state, 'closed', '2 failures in 11 is under the 50% rate');
  for (let i = 0; i < 10; i++) b.record('p/m', false);
  await b.flush();
  assert.equal((await b.snapshot('p/m')).state, 'open');
  assert.equal(await b.allow('p/m'), false, 'a local failure is seen at once, no trusted reading hides it');
});

test('a breaker opened by another instance on the shared store is respected within CLOSED_TRUST_MS', async () => {
  const store = new MemoryStore();
  const here = new Breaker(store);
  const there = new Breaker(store, { failureThreshold: 1 });
  assert.equal(await here.allow('p/m'), true);
  there.record('p/m', false, true);
  await there.flush();
  assert.equal((await there.snapshot('p/m')).state, 'open');
  const deadline = Date.now() + CLOSED_TRUST_MS + 500;
  while (await here.allow('p/m')) {
    assert.ok(Date.now() < deadline, 'still allowed after the trust period');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await here.state('p/m'), 'open');
});

test("successes here reset another instance's failure streak", async () => {
  const store = new MemoryStore();
  const here = new Breaker(store);
  const there = new Breaker(store, { failureThreshold: 3 });
  assert.equal(await here.allow('p/m'), true);
  there.record('p/m', false);
  there.record('p/m', false);
  await there.flush();
  here.record('p/m', true);
  await here.flush();
  there.record('p/m', false);
  await there.flush();
  const snap = await there.snapshot('p/m');
  assert.equal(snap.consecutiveFailures, 1, 'the success in between broke the streak');
  assert.equal(snap.state, 'closed');
});
