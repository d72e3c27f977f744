/**
 * Defect 11 (issue 14): the cache stored a fallback's answer under the primary's key, so the next
 * plain request for the primary (a model that was failing) was a cache hit with another model's
 * answer, labelled as the primary. Entries are now keyed and labelled by the target that answered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { openaiCompatible, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { startHostileUpstream, type HostileUpstream } from '../emulators/hostile.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

let emu: HostileUpstream;
let t: TestGateway;
const records: UsageRecord[] = [];
const collect = definePlugin({
  name: 'collect',
  apply(gw) {
    gw.hooks.meter.tap('collect', (r) => {
      records.push(r);
    });
  },
});

before(async () => {
  emu = await startHostileUpstream();
  t = await startGateway({
    providers: [openaiCompatible({ name: 'emu', baseURL: emu.url, apiKey: 'k' })],
    cache: {},
    failover: { retries: 0, backoffMs: 1 },
    routing: { models: { sturdy: { targets: ['emu/status-500', 'emu/gpt-4.1-mini'] } } },
    plugins: [collect()],
  });
});

after(async () => {
  await t.close();
  await emu.close();
});

async function raw(body: Record<string, unknown>) {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

async function waitForStores(n: number): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const stats = (await (await fetch(`${t.url}/cache/stats`)).json()) as { all: { stores: number } };
    if (stats.all.stores >= n) return;
    if (Date.now() > end) throw new Error(`cache stores: ${stats.all.stores}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a `models` fallback's answer is not served to the next plain request for the failing primary", async () => {
  const messages = [{ role: 'user', content: 'echo: cache me once' }];
  const first = await raw({ model: 'emu/status-500', models: ['emu/gpt-4.1-mini'], messages });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-switchyard-model'), 'gpt-4.1-mini');
  assert.equal(first.json.model, 'gpt-4.1-mini');
  await eventually(() => records.length === 1);
  await waitForStores(1);
  const calls = emu.calls.get('status-500');

  const plain = await raw({ model: 'emu/status-500', messages });
  assert.equal(plain.status, 500, "the primary is still failing: its error, not the fallback's cached answer");
  assert.notEqual(plain.headers.get('x-switchyard-cache'), 'hit');
  assert.equal(emu.calls.get('status-500'), (calls ?? 0) + 1, 'the primary was asked');

  // The entry belongs to the target that answered: a plain request for it is a hit, labelled as it.
  const other = await raw({ model: 'emu/gpt-4.1-mini', messages });
  assert.equal(other.status, 200);
  assert.equal(other.headers.get('x-switchyard-cache'), 'hit');
  assert.equal(other.headers.get('x-switchyard-provider'), 'emu');
  assert.equal(other.headers.get('x-switchyard-model'), 'gpt-4.1-mini');
  await eventually(() => records.length === 3);
  const hit = records[2];
  assert.equal(hit.cache, 'hit');
  assert.equal(hit.model, 'gpt-4.1-mini');
});

test('the same holds for a virtual model whose first target fails, streamed', async () => {
  const messages = [{ role: 'user' as const, content: 'echo: streamed fallback' }];
  const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const s = await client.chat.completions.create({ model: 'sturdy', messages, stream: true });
  let text = '';
  for await (const c of s) text += c.choices[0]?.delta.content ?? '';
  assert.match(text, /streamed fallback/);
  await waitForStores(2); // the cache stores in the background once the stream is complete
  const primary = await raw({ model: 'emu/status-500', messages });
  assert.equal(primary.status, 500);
  const r = await raw({ model: 'emu/gpt-4.1-mini', messages });
  assert.equal(
    r.headers.get('x-switchyard-cache'),
    'hit',
    'the streamed answer was stored under the target that produced it',
  );
  assert.equal(r.headers.get('x-switchyard-model'), 'gpt-4.1-mini');
});
