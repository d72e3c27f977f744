/**
 * A listening gateway runs one full garbage collection once it has been quiet for
 * `server.idleCollectMs` (core/idle-collection.ts): once per quiet period, never while requests
 * arrive or are open, never in library mode, not at all with 0. Collections are observed as they
 * happen, through perf_hooks' `gc` entries (a major collection with the "forced" flag).
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import v8 from 'node:v8';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import Koa from 'koa';
import OpenAI from 'openai';
import { createGateway, mock, type SwitchyardConfig } from '../../index.js';

const CHAT = { model: 'mock/mock-fast', messages: [{ role: 'user' as const, content: 'hi' }] };

/** Forced major collections in this process from now on. */
function forcedCollections(): { count: number; stop(): void } {
  const seen = { count: 0, stop: () => observer.disconnect() };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const d = (e as unknown as { detail: { kind: number; flags: number } }).detail;
      if (d.kind === constants.NODE_PERFORMANCE_GC_MAJOR && d.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)
        seen.count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return seen;
}

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait `ms` while the event loop runs (an absence can only be checked over a window). */
const windowOf = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listening(server: SwitchyardConfig['server'], provider = mock()) {
  const gw = await createGateway({ providers: [provider], logging: { level: 'silent' }, server });
  const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
  return { gw, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
}

test('after a quiet period a listening gateway collects once, and again only after new traffic', async () => {
  const gc = forcedCollections();
  const { gw, client } = await listening({ idleCollectMs: 300 });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await client.chat.completions.create(CHAT)).object, 'chat.completion');
    // On a loaded machine a gap between two of these requests can itself be a quiet period (CI saw a
    // collection there, and then the one after the traffic): count from the end of the traffic on. The
    // observer reports a collection a moment after it happens.
    await windowOf(50);
    const before = gc.count;
    await until('the idle collection after the traffic', () => gc.count >= before + 1);
    await windowOf(1_200); // four quiet periods more, no traffic: nothing left to give back
    assert.equal(gc.count, before + 1);
    await client.chat.completions.create(CHAT);
    await until('a collection after the new traffic', () => gc.count === before + 2);
  } finally {
    gc.stop();
    await gw.close();
  }
});

test('no collection while requests keep arriving or while one is open', async () => {
  const gc = forcedCollections();
  // Chunks 60 ms apart: a stream of ~30 stays open across several quiet periods.
  const { gw, client } = await listening({ idleCollectMs: 400 }, mock({ chunkDelayMs: 60 }));
  try {
    const end = Date.now() + 1_500;
    while (Date.now() < end) await client.chat.completions.create(CHAT);
    // An open stream (open requests are not quiet), read slowly enough to stay open for the window.
    const stream = await client.chat.completions.create({ ...CHAT, stream: true });
    const it = stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).done, false);
    await windowOf(1_200);
    assert.equal(gc.count, 0, 'no collection while traffic flowed or a stream was open');
    while (!(await it.next()).done) {
      /* read the rest */
    }
    await until('the collection once traffic stopped', () => gc.count >= 1);
  } finally {
    gc.stop();
    await gw.close();
  }
});

test('idleCollectMs: 0 turns it off, and a gateway mounted in another app never collects', async () => {
  const gc = forcedCollections();
  const off = await listening({ idleCollectMs: 0 });
  const mounted = await createGateway({
    providers: [mock()],
    logging: { level: 'silent' },
    server: { idleCollectMs: 200 },
  });
  const host = new Koa();
  host.use(mounted.middleware());
  const server = host.listen(0, '127.0.0.1');
  try {
    await new Promise<void>((r) => server.once('listening', () => r()));
    const port = (server.address() as AddressInfo).port;
    const viaHost = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
    assert.equal((await off.client.chat.completions.create(CHAT)).object, 'chat.completion');
    assert.equal((await viaHost.chat.completions.create(CHAT)).object, 'chat.completion');
    await windowOf(1_500);
    assert.equal(gc.count, 0);
  } finally {
    gc.stop();
    server.close();
    await off.gw.close();
    await mounted.close();
  }
});

test('a bad idleCollectMs is a config error that names it', async () => {
  await assert.rejects(
    createGateway({ providers: [mock()], logging: { level: 'silent' }, server: { idleCollectMs: -1 } }),
    /idleCollectMs/,
  );
  await assert.rejects(
    createGateway({
      providers: [mock()],
      logging: { level: 'silent' },
      server: { idleCollectMs: 'soon' as unknown as number },
    }),
    /idleCollectMs/,
  );
});

test('the collection gives the young generation back once the allocation rate has been low', async () => {
  const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
  // Grow the young generation as start-up or a burst does: many objects that survive a scavenge or two.
  const keep: unknown[] = [];
  for (let i = 0; i < 3e6; i++) {
    const o = { i, list: [i] };
    if (i % 3 === 0) keep.push(o);
    if (keep.length > 300_000) keep.length = 0;
  }
  keep.length = 0;
  const grown = newSpace();
  assert.ok(grown >= 8 * 1024 * 1024, `the young generation grew (${grown} bytes)`);
  const gc = forcedCollections();
  // V8 shrinks the young generation when its allocation rate over the last 5 s is low: a quiet period
  // longer than that, as the default (10 s) is. Whatever is left in the young generation now counts as
  // allocated since V8's last collection, so the first idle collection may not shrink it; the second,
  // a quiet period later, does.
  const { gw, client } = await listening({ idleCollectMs: 5_500 });
  try {
    await client.chat.completions.create(CHAT);
    // On a loaded machine V8's own memory reducer may give the space back first (a full collection that is
    // not a forced one): what must hold is that the idle collection runs, once or twice, and the space is back.
    await until(
      'an idle collection and the young generation given back',
      () => gc.count >= 1 && newSpace() <= grown / 4,
      60_000,
    );
    assert.ok(gc.count <= 2, `${gc.count} collections`);
  } finally {
    gc.stop();
    await gw.close();
  }
});
