/**
 * Shutdown keeps the last answers' cache entries: an answer is stored after the client has it (in
 * the background), and close() waits for those stores before the close hooks run and the store is
 * closed. Through HTTP with the openai client, against a store whose writes are slow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, openai, type Store } from '../../index.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { startGateway } from '../helpers/gateway.js';

/** A MemoryStore whose set() waits until the store is closed or `slowMs` has passed. */
class SlowStore extends MemoryStore implements Store {
  writes = 0;
  done = 0;
  closedWithPendingWrites = false;
  #release!: () => void;
  readonly #released = new Promise<void>((r) => (this.#release = r));
  readonly setStarted: Promise<void>;
  #started!: () => void;

  constructor(private readonly slowMs: number) {
    super();
    this.setStarted = new Promise<void>((r) => (this.#started = r));
  }

  override async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    if (!key.startsWith('cache:')) return super.set(key, value, ttlMs);
    this.writes++;
    this.#started();
    const timer = setTimeout(() => this.#release(), this.slowMs);
    await this.#released;
    clearTimeout(timer);
    await super.set(key, value, ttlMs);
    this.done++;
  }

  override async close(): Promise<void> {
    if (this.done < this.writes) this.closedWithPendingWrites = true;
    this.#release();
    await super.close();
  }
}

for (const stream of [false, true]) {
  test(`close() waits for the cache store of an answer already sent (stream: ${stream})`, async () => {
    const emu = await startOpenAIEmulator();
    const store = new SlowStore(300);
    const g = await startGateway({
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
      store,
      cache: {},
    });
    let closed = false;
    try {
      const messages = [{ role: 'user' as const, content: `echo: kept across shutdown ${stream}` }];
      if (stream) {
        const s = await g.client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
        let text = '';
        for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
        assert.ok(text.length > 0);
      } else {
        const r = await g.client.chat.completions.create({ model: 'gpt-4o', messages }).withResponse();
        assert.equal(r.response.headers.get('x-switchyard-cache'), 'miss');
      }
      await store.setStarted; // the answer is with the client; its entry is being written
      await g.close();
      closed = true;
      assert.equal(store.closedWithPendingWrites, false, 'the store was closed under a pending cache write');
      assert.equal(store.done, 1, 'the entry was written');
      assert.ok(!g.logs.some((l) => l.includes('cache store failed')), g.logs.join('\n'));
    } finally {
      if (!closed) await g.close().catch(() => undefined);
      await emu.close();
    }
  });
}
