/**
 * Google Imagen behind POST /v1/images/generations (the Gemini API and Vertex AI `predict` method, emulated
 * as documented) with the official SDK: the translation both ways, the refusals of what Imagen cannot do,
 * per-image prices from the catalog, governance, and no prompt in the logs or the ledger.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { gemini, vertex } from '../../index.js';
import { GEMINI_TEST_KEY, VERTEX_TEST_TOKEN, startGeminiEmulator, type GeminiEmulator } from '../emulators/gemini.js';
import { IMAGEN_FILTER_REASON } from '../emulators/imagen.js';
import { eventually } from '../helpers/gateway.js';
import { APP_KEY, POOR_KEY, RPM_KEY, failure, startEnv, type Env } from './helpers.js';

const CANARY = 'zqximagenpromptcanary';
let google: GeminiEmulator;
let env: Env;

before(async () => {
  google = await startGeminiEmulator();
  try {
    env = await startEnv(
      {},
      {
        providers: [
          gemini({ apiKey: GEMINI_TEST_KEY, baseURL: google.url }),
          vertex({ accessToken: VERTEX_TEST_TOKEN, project: 'proj-1', baseURL: google.url }),
        ],
      },
    );
  } catch (e) {
    await google.close();
    throw e;
  }
});
after(async () => {
  await env?.close();
  await google.close();
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('Gemini API Imagen: OpenAI request in, predict upstream, b64_json out, priced per image', async () => {
  const { data, response } = await env
    .client()
    .images.generate({
      model: 'gemini/imagen-4.0-generate-001',
      prompt: `a lighthouse at dawn ${CANARY}`,
      n: 2,
      size: '1792x1024',
      quality: 'hd',
    })
    .withResponse();
  assert.equal(data.data!.length, 2);
  const bytes = Buffer.from(data.data![0].b64_json!, 'base64');
  assert.ok(bytes.subarray(0, 8).equals(PNG), 'the image bytes come back as b64_json');
  assert.equal(response.headers.get('x-switchyard-dropped-params'), 'quality');
  const up = google.requests.at(-1)!;
  assert.equal(up.path, '/v1beta/models/imagen-4.0-generate-001:predict');
  assert.equal(up.headers['x-goog-api-key'], GEMINI_TEST_KEY);
  assert.equal(up.headers.authorization, undefined, 'the client key is not sent upstream');
  assert.deepEqual(up.body, {
    instances: [{ prompt: `a lighthouse at dawn ${CANARY}` }],
    parameters: { sampleCount: 2, aspectRatio: '16:9', includeRaiReason: true },
  });
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'images');
  assert.equal(rec.provider, 'gemini');
  assert.equal(rec.model, 'imagen-4.0-generate-001');
  assert.deepEqual(rec.units, { images: 2, imageSize: '1792x1024', imageQuality: 'hd' });
  assert.equal(rec.costUsd, 0.08);
});

test('sizes map to aspect ratios (2K above 2.2 MP), jpeg output, the fast model at its price', async () => {
  const big = await env
    .client()
    .images.generate({ model: 'gemini/imagen-4.0-ultra-generate-001', prompt: 'a map', size: '2048x2048' })
    .withResponse();
  assert.deepEqual(google.requests.at(-1)!.body.parameters, {
    sampleCount: 1,
    aspectRatio: '1:1',
    sampleImageSize: '2K',
    includeRaiReason: true,
  });
  assert.equal((await env.record(big.response.headers.get('x-request-id')!)).costUsd, 0.06);
  const fast = await env
    .client()
    .images.generate({
      model: 'gemini/imagen-4.0-fast-generate-001',
      prompt: 'a tall tower',
      size: '1024x1792',
      output_format: 'jpeg',
      output_compression: 80,
      response_format: 'b64_json',
    })
    .withResponse();
  assert.deepEqual(google.requests.at(-1)!.body.parameters, {
    sampleCount: 1,
    aspectRatio: '9:16',
    includeRaiReason: true,
    outputOptions: { mimeType: 'image/jpeg', compressionQuality: 80 },
  });
  assert.equal(fast.data.output_format, 'jpeg');
  assert.equal((await env.record(fast.response.headers.get('x-request-id')!)).costUsd, 0.02);
});

test('what Imagen cannot do is refused with a 400 naming the field, before any upstream call', async () => {
  const before = google.requests.length;
  const generate = (o: Record<string, unknown>) =>
    failure(env.client().images.generate({ model: 'gemini/imagen-4.0-generate-001', prompt: 'x', ...o }));
  const url = await generate({ response_format: 'url' });
  assert.equal(url.status, 400);
  assert.equal(url.error.param, 'response_format');
  assert.match(url.error.message, /b64_json/);
  assert.equal((await generate({ n: 5 })).error.param, 'n');
  assert.equal((await generate({ size: '1536x1024' })).error.param, 'size');
  assert.equal((await generate({ output_format: 'webp' })).error.param, 'output_format');
  assert.equal(google.requests.length, before);
});

test('a prompt Imagen filters out: 400 content_policy_violation with its reason, metered without cost', async () => {
  const r = await failure(
    env.client().images.generate({ model: 'gemini/imagen-4.0-generate-001', prompt: 'something forbidden' }),
  );
  assert.equal(r.status, 400);
  assert.equal(r.error.code, 'content_policy_violation');
  assert.ok(r.error.message.includes(IMAGEN_FILTER_REASON));
  await eventually(() => env.records.some((x) => x.errorCode === 'content_policy_violation'), 5000);
  const rec = env.records.find((x) => x.errorCode === 'content_policy_violation')!;
  assert.equal(rec.status, 400);
  assert.ok(!rec.costUsd);
});

test('Vertex AI Imagen: the same translation on the publisher model path, priced from the vertex entry', async () => {
  const { data, response } = await env
    .client()
    .images.generate({ model: 'vertex/imagen-3.0-generate-002', prompt: 'a red bicycle', size: '1024x1024' })
    .withResponse();
  assert.equal(data.data!.length, 1);
  const up = google.requests.at(-1)!;
  assert.equal(
    up.path,
    '/v1/projects/proj-1/locations/us-central1/publishers/google/models/imagen-3.0-generate-002:predict',
  );
  assert.equal(up.headers.authorization, `Bearer ${VERTEX_TEST_TOKEN}`);
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.provider, 'vertex');
  assert.equal(rec.costUsd, 0.04);
});

test('governance: budgets and rate limits refuse Imagen requests; the ledger holds no prompt', async () => {
  const poor = await failure(
    env.client(POOR_KEY).images.generate({ model: 'gemini/imagen-4.0-generate-001', prompt: 'x' }),
  );
  assert.equal(poor.status, 429);
  assert.equal(poor.error.code, 'insufficient_quota');
  const gen = () => env.client(RPM_KEY).images.generate({ model: 'gemini/imagen-4.0-fast-generate-001', prompt: 'x' });
  await gen().catch(() => undefined);
  const limited = await failure(gen());
  assert.equal(limited.error.code, 'rate_limit_exceeded');

  await eventually(() => env.records.filter((r) => r.principalId === 'app' && r.status === 200).length >= 4, 5000);
  const files = [env.dbPath, `${env.dbPath}-wal`];
  await env.close();
  const ledger = Buffer.concat(files.filter(existsSync).map((f) => readFileSync(f)));
  assert.ok(ledger.includes('imagen-4.0-generate-001'));
  assert.ok(!ledger.includes(CANARY), 'the ledger holds no prompt');
  assert.ok(!env.t.logs.join('\n').includes(CANARY), 'the logs hold no prompt');
  assert.ok(!env.t.logs.join('\n').includes(APP_KEY), 'the logs hold no key');
});
