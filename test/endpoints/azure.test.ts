/** Media endpoints and legacy completions on Azure OpenAI deployments (emulated), with the official SDK. */
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { toFile } from 'openai';
import type { Plugin } from '../../index.js';
import type { UsageRecord } from '../../core/usage.js';
import { azureOpenAI } from '../../plugins/providers/azure-openai/index.js';
import { startAzureOpenAIEmulator, type AzureOpenAIEmulator } from '../emulators/azure-openai.js';
import { TRANSCRIPT } from '../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

let emu: AzureOpenAIEmulator;
let t: TestGateway;
const records: UsageRecord[] = [];
const capture: Plugin = {
  name: 'capture',
  apply: (gw) => {
    gw.hooks.meter.tap('capture', (r) => {
      records.push(r);
    });
  },
};
const metered = async (id: string) => {
  await eventually(() => records.some((r) => r.requestId === id), 5000);
  return records.find((r) => r.requestId === id)!;
};

before(async () => {
  emu = await startAzureOpenAIEmulator({ apiKey: 'azure-key' });
  t = await startGateway({
    providers: [
      azureOpenAI({
        apiKey: 'azure-key',
        endpoint: emu.url,
        deployments: {
          'dall-e-3': 'images-prod',
          'gpt-image-1': 'gpt-image-1-prod',
          'whisper-1': 'whisper-prod',
          'tts-1': 'tts-prod',
          'gpt-35-turbo-instruct': 'instruct-prod',
        },
      }),
    ],
    plugins: [capture],
    failover: false,
  });
});
after(async () => {
  await t.close();
  await emu.close();
});

test('images on an Azure deployment, priced from the catalog', async () => {
  const { data, response } = await t.client.images
    .generate({ model: 'dall-e-3', prompt: 'a harbour', quality: 'hd', size: '1024x1024' })
    .withResponse();
  assert.equal(data.data!.length, 1);
  const up = emu.requests.at(-1)!;
  assert.equal(up.deployment, 'images-prod');
  assert.match(up.path, /^\/openai\/deployments\/images-prod\/images\/generations\?api-version=[\w-]+$/);
  assert.equal(up.headers['api-key'], 'azure-key');
  assert.equal(response.headers.get('x-switchyard-provider'), 'azure-openai');
  assert.equal((await metered(response.headers.get('x-request-id')!)).costUsd, 0.08);
});

test('speech, transcription (deployment as the form model) and legacy completions on Azure', async () => {
  const speech = await t.client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hello azure' });
  assert.equal((await speech.arrayBuffer()).byteLength, 'hello azure'.length * 100);
  assert.equal(emu.requests.at(-1)!.deployment, 'tts-prod');

  const dir = mkdtempSync(join(tmpdir(), 'sy-azure-'));
  const wav = join(dir, 'a.wav');
  writeFileSync(wav, Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4000)]));
  const tr = await t.client.audio.transcriptions.create({ model: 'whisper-1', file: createReadStream(wav) });
  assert.equal(tr.text, TRANSCRIPT);
  const up = emu.requests.at(-1)!;
  assert.equal(up.deployment, 'whisper-prod');
  assert.equal(up.body.model, 'whisper-prod');
  assert.equal(up.file!.bytes.length, 4004);

  const c = await t.client.completions.create({ model: 'gpt-35-turbo-instruct', prompt: 'Once', max_tokens: 3 });
  assert.equal(c.choices[0].text, 'once upon a');
  assert.equal(emu.requests.at(-1)!.deployment, 'instruct-prod');
});

test('image edits on an Azure deployment: the form with the deployment as model, priced from the catalog', async () => {
  const image = await toFile(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]), 'in.png', {
    type: 'image/png',
  });
  const { data, response } = await t.client.images
    .edit({ model: 'gpt-image-1', prompt: 'add a boat', image, quality: 'low', size: '1024x1536' })
    .withResponse();
  assert.ok(data.data![0].b64_json);
  const up = emu.requests.at(-1)!;
  assert.match(up.path, /^\/openai\/deployments\/gpt-image-1-prod\/images\/edits\?api-version=/);
  assert.equal(up.deployment, 'gpt-image-1-prod');
  assert.equal(up.body.model, 'gpt-image-1-prod');
  assert.equal(up.body.prompt, 'add a boat');
  assert.equal(up.headers['api-key'], 'azure-key');
  assert.equal(up.file!.filename, 'in.png');
  const rec = await metered(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'image_edits');
  // The output image ($0.016) and the input tokens the answer reports: 20 text x $5/1M + 323 image x $10/1M.
  assert.equal(rec.costUsd, 0.01933);
});
