/**
 * POST /v1/images/edits and /v1/images/variations with the official SDK and real PNG files built here:
 * what the upstream received (multipart fields and files, its own key, never the client's), per-image
 * prices by size and quality, governance refusals, bad input, the upload limit, and no canary (prompt or
 * image bytes) in the logs or the ledger.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createReadStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { toFile } from 'openai';
import { eventually } from '../helpers/gateway.js';
import { APP_KEY, POOR_KEY, RPM_KEY, failure, ledgerByModel, startEnv, type Env } from './helpers.js';

const IMAGE_CANARY = 'zqximagebytescanary';
const PROMPT_CANARY = 'zqxeditpromptcanary';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid RGBA PNG of `size` x `size` pixels (a gradient), with the canary in a tEXt chunk. */
function png(size: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter, no interlace
  const raw = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) raw.set([x % 256, y % 256, 128, 255], y * (1 + size * 4) + 1 + x * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${IMAGE_CANARY}`, 'latin1')),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const dir = mkdtempSync(join(tmpdir(), 'sy-images-'));
const pngPath = join(dir, 'otter.png');
let env: Env;

before(async () => {
  writeFileSync(pngPath, png(64));
  env = await startEnv();
});
after(async () => {
  await env.close();
});

test('dall-e-2 edit streamed through (fields first): the form and the upstream key go up; priced by size', async () => {
  const { data, response } = await env
    .client()
    .images.edit({
      model: 'dall-e-2',
      image: createReadStream(pngPath), // a stream: the SDK appends the text fields first
      mask: createReadStream(pngPath),
      prompt: `an otter with a hat ${PROMPT_CANARY}`,
      n: 2,
      size: '512x512',
    })
    .withResponse();
  assert.equal(data.data!.length, 2);
  assert.equal(data.data![0].url, 'https://images.example/edit-0.png');
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/images/edits');
  assert.deepEqual(
    [up.body.model, up.body.n, up.body.size, up.body.prompt],
    ['dall-e-2', '2', '512x512', `an otter with a hat ${PROMPT_CANARY}`],
  );
  assert.deepEqual(
    up.files!.map((f) => [f.name, f.filename]),
    [
      ['image', 'otter.png'],
      ['mask', 'otter.png'],
    ],
  );
  assert.ok(up.files![0].bytes.equals(readFileSync(pngPath)), 'the image arrived byte for byte');
  assert.equal(up.headers.authorization, 'Bearer test-key');
  assert.ok(!JSON.stringify(up.headers).includes(APP_KEY), 'the client key is not sent upstream');
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'image_edits');
  assert.equal(rec.provider, 'openai');
  assert.equal(rec.status, 200);
  assert.deepEqual(rec.units, { images: 2, imageSize: '512x512' });
  assert.equal(rec.costUsd, 0.036);
});

test('gpt-image-1 edit of several images (image[]), priced at the size and quality the answer reports', async () => {
  const bytes = readFileSync(pngPath);
  const { data, response } = await env
    .client()
    .images.edit({
      model: 'gpt-image-1',
      image: [await toFile(bytes, 'a.png', { type: 'image/png' }), await toFile(bytes, 'b.png', { type: 'image/png' })],
      prompt: 'a gift basket with these items',
    })
    .withResponse();
  assert.ok(data.data![0].b64_json);
  const up = env.emu.requests.at(-1)!;
  assert.deepEqual(
    up.files!.map((f) => [f.name, f.filename, f.contentType]),
    [
      ['image[]', 'a.png', 'image/png'],
      ['image[]', 'b.png', 'image/png'],
    ],
  );
  const rec = await env.record(response.headers.get('x-request-id')!);
  // No size or quality asked for ("auto"): the answer says 1024x1024, medium.
  assert.deepEqual(rec.units, { images: 1, imageSize: '1024x1024', imageQuality: 'medium', imageInputTokens: 646 });
  // The answer's usage: 20 text and 646 image input tokens (two images), 1056 output tokens.
  assert.deepEqual([rec.promptTokens, rec.completionTokens], [666, 1056]);
  // Output image $0.042 (medium 1024x1024) + text 20 x $5/1M + input images 646 x $10/1M.
  assert.equal(rec.costUsd, 0.04856);
});

test('dall-e-2 variations, the file before the model (held, then sent), priced per image by size', async () => {
  const { data, response } = await env
    .client()
    .images.createVariation({
      image: await toFile(readFileSync(pngPath), 'otter.png', { type: 'image/png' }), // a Blob: appended first
      model: 'dall-e-2',
      n: 3,
      size: '256x256',
      response_format: 'b64_json',
    })
    .withResponse();
  assert.equal(data.data!.length, 3);
  assert.ok(data.data![0].b64_json);
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/images/variations');
  assert.deepEqual([up.body.model, up.body.n, up.body.response_format], ['dall-e-2', '3', 'b64_json']);
  assert.ok(up.file!.bytes.equals(readFileSync(pngPath)));
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'image_variations');
  assert.deepEqual(rec.units, { images: 3, imageSize: '256x256' });
  assert.equal(rec.costUsd, 0.048);
  // model left out: dall-e-2, as at OpenAI (default size 1024x1024: $0.02)
  const plain = await env
    .client()
    .images.createVariation({ image: createReadStream(pngPath) })
    .withResponse();
  assert.equal(env.emu.requests.at(-1)!.body.model, 'dall-e-2');
  assert.equal((await env.record(plain.response.headers.get('x-request-id')!)).costUsd, 0.02);
});

test('an edit streamed through reaches the upstream while the client is still sending it', async () => {
  const boundary = 'imagestreamcheck';
  const image = Buffer.concat([png(8), randomBytes(400_000)]); // a PNG signature, then 400 KB
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n` +
      'Content-Type: image/png\r\n\r\n',
  );
  const tail = Buffer.from(
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nmake it blue\r\n--${boundary}--\r\n`,
  );
  const before = env.emu.bytesReceived;
  const req = http.request(`${env.t.url}/v1/images/edits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${APP_KEY}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const answer = new Promise<{ status?: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
  try {
    req.write(Buffer.concat([head, image.subarray(0, 250_000)]));
    // Most of the first 250 KB reach the upstream before the client sends the rest (and the prompt).
    await eventually(() => env.emu.bytesReceived - before >= 200_000, 10_000);
    req.end(Buffer.concat([image.subarray(250_000), tail]));
    const { status, body } = await answer;
    assert.equal(status, 200);
    assert.ok(JSON.parse(body).data[0].b64_json);
    const up = env.emu.requests.at(-1)!;
    assert.ok(up.file!.bytes.equals(image));
    assert.equal(up.body.prompt, 'make it blue');
  } finally {
    req.destroy();
  }
});

/** POST a hand-made form (or any body) to an upload route. */
async function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(`${env.t.url}${path}`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${APP_KEY}`, ...headers },
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('bad input: no image, no prompt, bad n, a file in the wrong field, not multipart, unknown model', async () => {
  const image = new Blob([readFileSync(pngPath)], { type: 'image/png' });
  const noImage = new FormData();
  noImage.append('model', 'dall-e-2');
  noImage.append('prompt', 'x');
  let r = await post('/v1/images/edits', noImage);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.equal(r.body.error.param, 'image');

  const noPrompt = new FormData();
  noPrompt.append('model', 'dall-e-2');
  noPrompt.append('image', image, 'otter.png');
  r = await post('/v1/images/edits', noPrompt);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.param, 'prompt');

  const badN = await failure(
    env.client().images.createVariation({ model: 'dall-e-2', image: createReadStream(pngPath), n: 11 }),
  );
  assert.equal(badN.status, 400);
  assert.equal(badN.error.param, 'n');

  const wrongField = new FormData();
  wrongField.append('model', 'dall-e-2');
  wrongField.append('file', image, 'otter.png');
  r = await post('/v1/images/variations', wrongField);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.param, 'file');

  r = await post('/v1/images/edits', JSON.stringify({ model: 'dall-e-2', prompt: 'x' }), {
    'content-type': 'application/json',
  });
  assert.equal(r.status, 415);
  assert.equal(r.body.error.code, 'unsupported_media_type');

  const unknown = await failure(
    env.client().images.edit({ model: 'no-such-image-model', image: createReadStream(pngPath), prompt: 'x' }),
  );
  assert.equal(unknown.status, 404);
  assert.equal(unknown.error.code, 'model_not_found');

  const mock = await failure(
    env.client().images.createVariation({ model: 'mock/mock-small', image: createReadStream(pngPath) }),
  );
  assert.equal(mock.status, 400);
  assert.equal(mock.error.code, 'unsupported_operation');

  const anon = await fetch(`${env.t.url}/v1/images/variations`, { method: 'POST', body: noPrompt });
  assert.equal(anon.status, 401);
});

test('governance: a budget that cannot hold the images and a rate limit refuse edits and variations', async () => {
  const poor = await failure(
    env.client(POOR_KEY).images.edit({ model: 'dall-e-2', image: createReadStream(pngPath), prompt: 'x' }),
  );
  assert.equal(poor.status, 429);
  assert.equal(poor.error.code, 'insufficient_quota');
  const vary = (key: string) => env.client(key).images.createVariation({ image: createReadStream(pngPath) });
  const poorVariation = await failure(vary(POOR_KEY));
  assert.equal(poorVariation.error.code, 'insufficient_quota');
  await vary(RPM_KEY).catch(() => undefined);
  const limited = await failure(vary(RPM_KEY));
  assert.equal(limited.status, 429);
  assert.equal(limited.error.code, 'rate_limit_exceeded');
});

test('an upload over server.uploadLimit is refused with 413; an upstream error keeps its status', async () => {
  const small = await startEnv({ uploadLimit: 5_000 });
  try {
    writeFileSync(join(dir, 'big.png'), png(128));
    const r = await failure(
      small.client().images.createVariation({ model: 'dall-e-2', image: createReadStream(join(dir, 'big.png')) }),
    );
    assert.equal(r.status, 413);
    assert.equal(r.error.code, 'request_too_large');
  } finally {
    await small.close();
  }
  const r = await failure(
    env.client().images.edit({ model: 'openai/error-500', image: createReadStream(pngPath), prompt: 'x' }),
  );
  assert.equal(r.status, 500);
  assert.equal(r.error.type, 'server_error');
});

test('the ledger holds the image requests with their cost, and no prompt or image bytes', async () => {
  const byModel = await ledgerByModel(env, 'app', 5);
  assert.ok(byModel['dall-e-2'].costUsd > 0);
  assert.ok(byModel['gpt-image-1'].costUsd > 0);
  await env.close();
  const files = [env.dbPath, `${env.dbPath}-wal`].filter(existsSync);
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  assert.ok(bytes.includes('dall-e-2'));
  for (const canary of [IMAGE_CANARY, PROMPT_CANARY]) {
    assert.ok(!bytes.includes(canary), `the ledger holds no "${canary}"`);
    assert.ok(!env.t.logs.join('\n').includes(canary), `the logs hold no "${canary}"`);
  }
});
