/** POST /v1/embeddings through the gateway. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { anthropic, mock, openai } from '../../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../emulators/openai.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

let emu: OpenAIEmulator;
let t: TestGateway;

before(async () => {
  emu = await startOpenAIEmulator();
  t = await startGateway({
    providers: [
      openai({ apiKey: 'test-key', baseURL: emu.url }),
      mock(),
      anthropic({ apiKey: 'unused-key', baseURL: 'http://127.0.0.1:9' }),
    ],
    routing: {
      aliases: {
        'any-embed': ['anthropic/claude-haiku-4-5', 'mock/mock-embed'],
        'chat-only': 'anthropic/claude-haiku-4-5',
      },
    },
    failover: false,
  });
});
after(async () => {
  await t.close();
  await emu.close();
});

test('embeddings for a list of inputs from an OpenAI upstream', async () => {
  const { data, response } = await t.client.embeddings
    .create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 8, encoding_format: 'float' })
    .withResponse();
  assert.equal(data.data.length, 2);
  assert.equal(data.data[1].index, 1);
  assert.equal(data.data[0].embedding.length, 8);
  assert.equal(data.usage.prompt_tokens, 6);
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  const up = emu.requests[emu.requests.length - 1];
  assert.equal(up.path, '/v1/embeddings');
  assert.deepEqual(up.body.input, ['alpha', 'beta']);
  assert.equal(up.body.dimensions, 8);
});

test('embeddings from the offline mock: deterministic, normalised, base64 supported', async () => {
  const a = await t.client.embeddings.create({
    model: 'mock-embed',
    input: 'the quick brown fox',
    encoding_format: 'float',
  });
  const b = await t.client.embeddings.create({
    model: 'mock-embed',
    input: 'the quick brown fox',
    encoding_format: 'float',
  });
  assert.deepEqual(a.data[0].embedding, b.data[0].embedding);
  assert.equal(a.data[0].embedding.length, 256);
  const norm = Math.hypot(...a.data[0].embedding);
  assert.ok(Math.abs(norm - 1) < 1e-9);
  // The SDK requests base64 by default and decodes it to floats.
  const c = await t.client.embeddings.create({ model: 'mock-embed', input: 'the quick brown fox' });
  assert.equal(c.data[0].embedding.length, 256);
  assert.ok(Math.abs(c.data[0].embedding[0] - a.data[0].embedding[0]) < 1e-6);
});

test('bad embeddings input -> 400; unknown model -> 404', async () => {
  await assert.rejects(
    // @ts-expect-error deliberately invalid
    t.client.embeddings.create({ model: 'mock-embed', input: 42 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'input',
  );
  await assert.rejects(t.client.embeddings.create({ model: 'nope-embed', input: 'x' }), OpenAI.NotFoundError);
});

test('targets that cannot embed are skipped, so an alias reaches one that can', async () => {
  const { data, response } = await t.client.embeddings
    .create({ model: 'any-embed', input: 'hello', encoding_format: 'float' })
    .withResponse();
  assert.equal(data.data[0].embedding.length, 256);
  assert.equal(response.headers.get('x-switchyard-provider'), 'mock');
  assert.equal(response.headers.get('x-switchyard-attempts'), '1');
  // a chat model (the catalog knows claude-haiku-4-5) cannot embed: refused before any provider is asked
  await assert.rejects(
    t.client.embeddings.create({ model: 'chat-only', input: 'hello' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'wrong_model_kind',
  );
  // a model of unknown kind on a provider without embeddings
  await assert.rejects(
    t.client.embeddings.create({ model: 'anthropic/some-future-model', input: 'hello' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'unsupported_operation',
  );
});
