/** x-switchyard-dropped-params describes the attempt that answered, not an earlier failed one. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { anthropic, openai } from '../../index.js';
import { startAnthropicEmulator } from '../emulators/anthropic.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let ant: { url: string; close(): Promise<void> };
let oai: OpenAIEmulator;
let t: TestGateway;

before(async () => {
  ant = await startAnthropicEmulator();
  oai = await startOpenAIEmulator();
  t = await startGateway({
    providers: [anthropic({ apiKey: 'test-key', baseURL: ant.url }), openai({ apiKey: 'test-key', baseURL: oai.url })],
    routing: { aliases: { mixed: ['anthropic/error-503', 'openai/gpt-4o'], ant: 'anthropic/claude-haiku-4-5' } },
    failover: { retries: 0 },
  });
});
after(async () => {
  await t.close();
  await ant.close();
  await oai.close();
});

test('a failed attempt that dropped params leaves no trace on the answer of the next target', async () => {
  const { data, response } = await t.client.chat.completions
    .create({ model: 'mixed', seed: 7, messages: [{ role: 'user', content: 'echo: ok' }] })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'ok');
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  assert.equal(response.headers.get('x-switchyard-dropped-params'), null, 'openai took seed');
  assert.equal(oai.requests[oai.requests.length - 1].body.seed, 7);
});

test('the answering target reports what it dropped', async () => {
  const { response } = await t.client.chat.completions
    .create({ model: 'ant', seed: 7, messages: [{ role: 'user', content: 'echo: ok' }] })
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-dropped-params'), 'seed');
});
