/** Client disconnects cancel the upstream call; shutdown lets in-flight streams finish. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openai, usageMeter, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway } from '../helpers/gateway.js';

/** A plugin that collects meter records, to assert on them. */
function collect(records: UsageRecord[]) {
  return definePlugin({
    name: 'collect',
    apply(gw) {
      gw.hooks.meter.tap('collect', (r) => {
        records.push(r);
      });
    },
  })();
}

test('a client that disconnects mid-stream aborts the upstream request and is metered as 499', async () => {
  const emu = await startOpenAIEmulator();
  const records: UsageRecord[] = [];
  const t = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
    plugins: [collect(records)],
  });
  try {
    const controller = new AbortController();
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const stream = await t.client.chat.completions.create(
      { model: 'openai/slow-stream', stream: true, messages: [{ role: 'user', content: `echo: ${words}` }] },
      { signal: controller.signal },
    );
    let n = 0;
    for await (const _ of stream) {
      if (++n === 3) {
        controller.abort();
        break;
      }
    }
    await eventually(() => emu.aborted.length === 1, 3000);
    assert.equal(emu.aborted[0].body.model, 'slow-stream');
    await eventually(() => records.length === 1);
    assert.equal(records[0].status, 499);
    assert.equal(records[0].aborted, true);
    assert.equal(records[0].stream, true);
  } finally {
    await t.close();
    await emu.close();
  }
});

test('a client that gives up on a plain request aborts the upstream request', async () => {
  const emu = await startOpenAIEmulator();
  const t = await startGateway({ providers: [openai({ apiKey: 'test-key', baseURL: emu.url })] });
  try {
    const controller = new AbortController();
    const p = t.client.chat.completions.create(
      { model: 'openai/hang', messages: [{ role: 'user', content: 'hi' }] },
      { signal: controller.signal },
    );
    await eventually(() => emu.requests.some((r) => r.body?.model === 'hang'));
    controller.abort();
    await assert.rejects(p);
    await eventually(() => emu.aborted.some((r) => r.body?.model === 'hang'), 3000);
  } finally {
    await t.close();
    await emu.close();
  }
});

test('graceful shutdown: in-flight streams finish, new requests are refused, meters flush', async () => {
  const emu = await startOpenAIEmulator();
  const meter = usageMeter({ log: false });
  const t = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
    meter: false,
    plugins: [meter],
  });
  const stream = await t.client.chat.completions.create({
    model: 'openai/slow-stream',
    stream: true,
    messages: [{ role: 'user', content: 'echo: a b c d e f g h' }],
  });
  const closing = t.close();
  assert.equal(t.gw.draining, true);
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  assert.equal(text, 'a b c d e f g h', 'the in-flight stream completed');
  await closing;
  await assert.rejects(fetch(`${t.url}/health`), 'the listener is closed');
  assert.equal(meter.summary()['openai/slow-stream'].requests, 1);
  await emu.close();
});

test('shutdown is bounded: a stuck request is cut after shutdownTimeoutMs', async () => {
  const emu = await startOpenAIEmulator();
  const t = await startGateway({
    server: { shutdownTimeoutMs: 200 },
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
  });
  const outcome = t.client.chat.completions
    .create({ model: 'openai/hang', messages: [{ role: 'user', content: 'hi' }] })
    .then(
      () => 'answered',
      (e: Error) => e,
    );
  await eventually(() => emu.requests.some((r) => r.body?.model === 'hang'));
  const started = Date.now();
  await t.close();
  assert.ok(Date.now() - started < 2000);
  assert.ok((await outcome) instanceof Error, 'the stuck request was cut');
  await emu.close();
});
