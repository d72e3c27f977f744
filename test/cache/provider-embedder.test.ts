/**
 * The semantic tier with a provider embedder, against a real neural embedding model served offline as
 * an OpenAI-compatible /v1/embeddings upstream (bench/cache-eval/sentence-encoder-upstream.ts, the
 * stand-in the provider-embedder evaluation uses). Checks the stand-in's wire format with the official
 * openai client, then the gateway path: a paraphrase the model scores high is served; a near miss the
 * model scores just as high (read / write, 0.96) is refused by the guard, not by the model.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { mock, openai } from '../../index.js';
import { cache, type CachePlugin } from '../../plugins/cache/index.js';
import {
  SENTENCE_ENCODER_MODEL,
  type SentenceEncoderUpstream,
  startSentenceEncoderUpstream,
} from '../../bench/cache-eval/sentence-encoder-upstream.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

let up: SentenceEncoderUpstream;
let t: TestGateway;
let plugin: CachePlugin;

before(async () => {
  up = await startSentenceEncoderUpstream();
  plugin = cache({ ttlSeconds: 60, semantic: { embedder: { provider: 'openai', model: SENTENCE_ENCODER_MODEL } } });
  t = await startGateway({
    providers: [mock(), openai({ apiKey: 'test-key', baseURL: up.url })],
    plugins: [plugin],
  });
});
after(async () => {
  await t?.close();
  await up?.close();
});

const cos = (a: number[], b: number[]) => {
  let d = 0,
    x = 0,
    y = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    x += a[i] * a[i];
    y += b[i] * b[i];
  }
  return d / Math.sqrt(x * y);
};

test('the stand-in speaks OpenAI embeddings: floats and base64 (the SDK default), usage, errors', async () => {
  const client = new OpenAI({ baseURL: up.url, apiKey: 'unused', maxRetries: 0 });
  const floats = await client.embeddings.create({
    model: SENTENCE_ENCODER_MODEL,
    input: ['buy a car', 'purchase an automobile'],
    encoding_format: 'float',
  });
  assert.equal(floats.object, 'list');
  assert.equal(floats.model, SENTENCE_ENCODER_MODEL);
  assert.deepEqual(
    floats.data.map((d) => [d.object, d.index, d.embedding.length]),
    [
      ['embedding', 0, 512],
      ['embedding', 1, 512],
    ],
  );
  assert.ok(floats.usage.prompt_tokens > 0 && floats.usage.total_tokens === floats.usage.prompt_tokens);
  const b64 = await client.embeddings.create({ model: SENTENCE_ENCODER_MODEL, input: 'buy a car' });
  assert.ok(cos(b64.data[0].embedding, floats.data[0].embedding) > 0.9999);
  // a real model: related sentences score above unrelated ones
  const [car, auto, weather] = (
    await client.embeddings.create({
      model: SENTENCE_ENCODER_MODEL,
      input: ['buy a car', 'purchase an automobile', 'is it raining in Oslo'],
      encoding_format: 'float',
    })
  ).data.map((d) => d.embedding);
  assert.ok(cos(car, auto) > cos(car, weather) + 0.2);
  await assert.rejects(client.embeddings.create({ model: 'nope', input: 'x' }), { status: 404 });
  await assert.rejects(client.embeddings.create({ model: SENTENCE_ENCODER_MODEL, input: [] }), { status: 400 });
  await assert.rejects(client.embeddings.create({ model: SENTENCE_ENCODER_MODEL, input: 'x', dimensions: 64 }), {
    status: 400,
  });
});

test('through the gateway: a paraphrase is a semantic hit; a near miss the model scores high is refused', async () => {
  const ask = (content: string) =>
    t.client.chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content }] }).withResponse();
  const status = (r: { response: Response }) => r.response.headers.get('x-switchyard-cache');
  assert.equal(status(await ask('How do I read a CSV file in Python?')), 'miss');
  await eventually(() => plugin.stats().semantic!.entries === 1);
  const para = await ask('How can I read a CSV file using Python?');
  assert.equal(status(para), 'semantic-hit');
  assert.ok(Number(para.response.headers.get('x-switchyard-cache-similarity')) >= 0.85);
  assert.equal(status(await ask('How do I write a CSV file in Python?')), 'miss');
  const s = plugin.stats();
  assert.equal(s.semantic!.embedder, `provider:openai/${SENTENCE_ENCODER_MODEL}`);
  assert.equal(s.semantic!.threshold, 0.85);
  assert.ok(s.all.guardRejections.lexical >= 1, JSON.stringify(s.all.guardRejections));
  assert.ok(s.all.embeddingTokens > 0);
  assert.ok(up.inputs >= 3);
});
