/** POST /v1/moderations and /v1/images/generations with the official SDK: upstream format, pricing, governance. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/gateway.js';
import { POOR_KEY, RPM_KEY, failure, startEnv, type Env } from './helpers.js';

const CANARY = 'zqximagecanary';
let env: Env;

before(async () => {
  // A priced moderation model (OpenAI's is free), so that a budget can refuse it.
  const priced = { 'openai/text-moderation-priced': { kind: 'moderation' as const, prices: { input: 1000 } } };
  env = await startEnv({}, { catalog: { models: priced } });
});
after(async () => {
  await env.close();
});

test('moderations: results from the upstream, default model, metered', async () => {
  const { data, response } = await env
    .client()
    .moderations.create({ input: [`I will kill ${CANARY}`, 'hello'] })
    .withResponse();
  assert.equal(data.results.length, 2);
  assert.equal(data.results[0].flagged, true);
  assert.equal(data.results[1].flagged, false);
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/moderations');
  assert.equal(up.body.model, 'omni-moderation-latest');
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'moderations');
  assert.equal(rec.provider, 'openai');
  assert.equal(rec.status, 200);
  assert.equal(rec.costUsd, 0);
});

test('moderations: bad input 400, no key 401, a provider without them 400, budget and rate limit 429', async () => {
  // @ts-expect-error deliberately invalid
  const bad = await failure(env.client().moderations.create({ input: 42 }));
  assert.equal(bad.status, 400);
  assert.equal(bad.error.param, 'input');
  const res = await fetch(`${env.t.url}/v1/moderations`, { method: 'POST', body: JSON.stringify({ input: 'x' }) });
  assert.equal(res.status, 401);
  const mock = await failure(env.client().moderations.create({ model: 'mock/mock-small', input: 'x' }));
  assert.equal(mock.status, 400);
  assert.equal(mock.error.code, 'unsupported_operation');
  const poor = await failure(
    env.client(POOR_KEY).moderations.create({ model: 'text-moderation-priced', input: 'hello there' }),
  );
  assert.equal(poor.status, 429);
  assert.equal(poor.error.code, 'insufficient_quota');
  // One request per minute for the key across every endpoint: the first may already be spent.
  await env
    .client(RPM_KEY)
    .moderations.create({ input: 'x' })
    .catch(() => undefined);
  const limited = await failure(env.client(RPM_KEY).moderations.create({ input: 'x' }));
  assert.equal(limited.status, 429);
  assert.equal(limited.error.code, 'rate_limit_exceeded');
});

test('images: dall-e-3 priced by quality and size, gpt-image-1 per image times n', async () => {
  const { data, response } = await env
    .client()
    .images.generate({ model: 'dall-e-3', prompt: `a lighthouse ${CANARY}`, size: '1024x1792', quality: 'hd' })
    .withResponse();
  assert.equal(data.data!.length, 1);
  assert.equal(data.data![0].url, 'https://images.example/0.png');
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/images/generations');
  assert.deepEqual([up.body.model, up.body.size, up.body.quality], ['dall-e-3', '1024x1792', 'hd']);
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'images');
  assert.deepEqual(rec.units, { images: 1, imageSize: '1024x1792', imageQuality: 'hd' });
  assert.equal(rec.costUsd, 0.12);

  const two = await env
    .client()
    .images.generate({
      model: 'gpt-image-1',
      prompt: 'two cats',
      n: 2,
      size: '1024x1024',
      quality: 'low',
      response_format: 'b64_json',
    })
    .withResponse();
  assert.equal(two.data.data!.length, 2);
  assert.ok(two.data.data![0].b64_json);
  const rec2 = await env.record(two.response.headers.get('x-request-id')!);
  assert.equal(rec2.costUsd, 0.022);
  // no size or quality: dall-e-3's defaults (standard, 1024x1024)
  const plain = await env.client().images.generate({ model: 'dall-e-3', prompt: 'a boat' }).withResponse();
  assert.equal((await env.record(plain.response.headers.get('x-request-id')!)).costUsd, 0.04);
});

test('images: bad input 400, no key 401, a provider without images 400, budget and rate limit 429', async () => {
  const bad = await failure(env.client().images.generate({ model: 'dall-e-3', prompt: 'x', n: 11 }));
  assert.equal(bad.status, 400);
  assert.equal(bad.error.param, 'n');
  const res = await fetch(`${env.t.url}/v1/images/generations`, {
    method: 'POST',
    body: JSON.stringify({ prompt: 'x' }),
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.type, 'authentication_error');
  const mock = await failure(env.client().images.generate({ model: 'mock-small', prompt: 'x' }));
  assert.equal(mock.error.code, 'unsupported_operation');
  const poor = await failure(env.client(POOR_KEY).images.generate({ model: 'dall-e-3', prompt: 'x' }));
  assert.equal(poor.status, 429);
  assert.equal(poor.error.code, 'insufficient_quota');
  await env
    .client(RPM_KEY)
    .images.generate({ model: 'dall-e-2', prompt: 'x' })
    .catch(() => undefined);
  const limited = await failure(env.client(RPM_KEY).images.generate({ model: 'dall-e-2', prompt: 'x' }));
  assert.equal(limited.error.code, 'rate_limit_exceeded');
});

test('an upstream error keeps its status and OpenAI format, and is metered', async () => {
  const r = await failure(env.client().images.generate({ model: 'openai/error-500', prompt: 'x' }));
  assert.equal(r.status, 500);
  assert.equal(r.error.type, 'server_error');
  await eventually(() => env.records.some((x) => x.operation === 'images' && x.status === 500 && !x.costUsd), 5000);
  assert.ok(!env.t.logs.join('\n').includes(CANARY), 'no prompt in the logs');
});
