/** The default router and the retry-then-next-target failover. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { mock, openai } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let primary: OpenAIEmulator;
let backup: OpenAIEmulator;
let t: TestGateway;

before(async () => {
  primary = await startOpenAIEmulator();
  backup = await startOpenAIEmulator();
  t = await startGateway({
    providers: [
      openai({ apiKey: 'test-key', baseURL: primary.url }),
      openai({ name: 'backup', apiKey: 'test-key', baseURL: backup.url, models: ['gpt-4o'] }),
      mock(),
    ],
    routing: {
      aliases: {
        resilient: ['openai/error-503', 'backup/gpt-4o'],
        strict: ['openai/error-400', 'backup/gpt-4o'],
        flaky: ['openai/stream-error-midway', 'backup/gpt-4o'],
        single: 'mock/mock-large',
      },
    },
    failover: { retries: 1, backoffMs: 1, maxBackoffMs: 5 },
  });
});
after(async () => {
  await t.close();
  await primary.close();
  await backup.close();
});

const count = (e: OpenAIEmulator, model: string) => e.requests.filter((r) => r.body?.model === model).length;

test('an alias with a failing first target retries once, then fails over to the next', async () => {
  const before503 = count(primary, 'error-503');
  const { data, response } = await t.client.chat.completions
    .create({ model: 'resilient', messages: [{ role: 'user', content: 'echo: saved' }] })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'saved');
  assert.equal(response.headers.get('x-switchyard-provider'), 'backup');
  assert.equal(response.headers.get('x-switchyard-attempts'), '3');
  assert.equal(count(primary, 'error-503') - before503, 2, 'first try plus one retry');
});

test('non-retryable errors (400) fail at once without trying the next target', async () => {
  const backupBefore = backup.requests.length;
  await assert.rejects(
    t.client.chat.completions.create({ model: 'strict', messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError,
  );
  assert.equal(backup.requests.length, backupBefore);
});

test('streams fail over before the first byte; the client sees one clean stream', async () => {
  // stream-error-midway fails after two chunks, so it has started: no failover, an error event.
  const stream = await t.client.chat.completions.create({
    model: 'flaky',
    stream: true,
    messages: [{ role: 'user', content: 'echo: x y z' }],
  });
  await assert.rejects(async () => {
    for await (const _ of stream) {
      /* drain */
    }
  }, OpenAI.APIError);
  // A stream whose upstream refuses before any byte fails over invisibly.
  const ok = await t.client.chat.completions.create({
    model: 'resilient',
    stream: true,
    messages: [{ role: 'user', content: 'echo: x y z' }],
  });
  let text = '';
  for await (const c of ok) text += c.choices[0]?.delta.content ?? '';
  assert.equal(text, 'x y z');
});

test('bare names resolve to every provider that lists them, in order (fallbacks for free)', async () => {
  const { response } = await t.client.chat.completions
    .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: hi' }] })
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
});

test('bare names claimed by a provider pattern route there', async () => {
  const { response } = await t.client.chat.completions
    .create({ model: 'gpt-4.5-preview', messages: [{ role: 'user', content: 'echo: hi' }] })
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  const m = await t.client.chat.completions
    .create({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: hi' }] })
    .withResponse();
  assert.equal(m.response.headers.get('x-switchyard-provider'), 'mock');
});

test('aliases are listed by /v1/models', async () => {
  const ids = (await t.client.models.list()).data.map((m) => m.id);
  for (const a of ['resilient', 'strict', 'flaky', 'single']) assert.ok(ids.includes(a), a);
});

test('an alias naming a provider that is not enabled is a boot error', async () => {
  const { createGateway } = await import('../../index.js');
  await assert.rejects(
    createGateway({ providers: [mock()], routing: { aliases: { x: 'ghost/model' } }, logging: { level: 'silent' } }),
    /routing\.aliases\.x names provider "ghost", which is not enabled/,
  );
});
