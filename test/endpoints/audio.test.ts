/**
 * POST /v1/audio/speech (binary answer streamed to a file) and /v1/audio/transcriptions|translations
 * (multipart uploads of a real WAV file) with the official SDK: upstream format, seconds and characters
 * priced from the catalog, governance, the upload size limit, canary audio bytes in no log or ledger.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { after, before, test } from 'node:test';
import { groq, type Plugin } from '../../index.js';
import type { UsageRecord } from '../../core/usage.js';
import { TRANSCRIPT, startOpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { APP_KEY, POOR_KEY, RPM_KEY, failure, ledgerByModel, startEnv, type Env } from './helpers.js';

const AUDIO_CANARY = 'zqxaudiocanarybytes';
const SPEECH_CANARY = 'zqxspeechcanary';
const dir = mkdtempSync(join(tmpdir(), 'sy-audio-'));

/** A PCM WAV file: 16 kHz, mono, 16 bits, `seconds` long, a 440 Hz tone with the canary's bytes inside. */
function wav(seconds: number): Buffer {
  const rate = 16_000;
  const data = Buffer.alloc(rate * 2 * seconds);
  for (let i = 0; i < rate * seconds; i++) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  }
  data.write(AUDIO_CANARY, 1000, 'latin1');
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const wavPath = join(dir, 'speech.wav');
let env: Env;

before(async () => {
  writeFileSync(wavPath, wav(2));
  env = await startEnv();
});
after(async () => {
  await env.close();
});

test('speech: the audio is streamed back to a file, priced per character', async () => {
  const input = `Hello from the gateway ${SPEECH_CANARY}`;
  const res = await env.client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'mp3' });
  assert.equal(res.headers.get('content-type'), 'audio/mpeg');
  const out = join(dir, 'speech.mp3');
  await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream), createWriteStream(out));
  assert.equal(statSync(out).size, input.length * 100);
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/audio/speech');
  assert.equal(up.body.voice, 'alloy');
  const rec = await env.record(res.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'speech');
  assert.deepEqual(rec.units, { characters: input.length });
  assert.equal(rec.costUsd, (input.length * 15) / 1e6);
});

test('speech cut off by the upstream mid-stream: the client sees a broken download, the record the error', async () => {
  const res = await env.client().audio.speech.create({ model: 'openai/speech-cut', voice: 'alloy', input: 'hello' });
  await assert.rejects(res.arrayBuffer());
  const id = res.headers.get('x-request-id')!;
  const rec = await env.record(id);
  assert.equal(rec.operation, 'speech');
  assert.equal(rec.status, 502);
  assert.equal(rec.errorCode, 'upstream_stream_interrupted');
});

test('a WAV file streamed through (model before file): seconds from its header, priced per minute', async () => {
  const { data, response } = await env
    .client()
    .audio.transcriptions.create({ model: 'whisper-1', file: createReadStream(wavPath) })
    .withResponse();
  assert.equal(data.text, TRANSCRIPT);
  const up = env.emu.requests.at(-1)!;
  assert.equal(up.path, '/v1/audio/transcriptions');
  assert.equal(up.body.model, 'whisper-1');
  assert.equal(up.file!.filename, 'speech.wav');
  assert.ok(up.file!.bytes.equals(readFileSync(wavPath)), 'the upstream received the file byte for byte');
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'transcriptions');
  assert.deepEqual(rec.units, { audioSeconds: 2 });
  assert.equal(rec.usageEstimated, undefined);
  assert.ok(Math.abs(rec.costUsd! - (2 / 60) * 0.006) < 1e-12);
});

test('file before model (buffered), text answers, and a translation whose duration the answer reports', async () => {
  const text = await env
    .client()
    .audio.transcriptions.create({ file: createReadStream(wavPath), model: 'whisper-1', response_format: 'text' });
  assert.equal(String(text).trim(), TRANSCRIPT);
  assert.ok(env.emu.requests.at(-1)!.file!.bytes.equals(readFileSync(wavPath)));
  assert.equal(env.emu.requests.at(-1)!.body.response_format, 'text');
  const { data, response } = await env
    .client()
    .audio.translations.create({ model: 'whisper-1', file: createReadStream(wavPath), response_format: 'verbose_json' })
    .withResponse();
  assert.equal((data as { duration?: number }).duration, 2.5);
  assert.equal(env.emu.requests.at(-1)!.path, '/v1/audio/translations');
  const rec = await env.record(response.headers.get('x-request-id')!);
  assert.equal(rec.operation, 'translations');
  assert.deepEqual(rec.units, { audioSeconds: 2.5 });
});

test('the upload reaches the upstream while the client is still sending it (not held whole)', async () => {
  const boundary = 'streamcheckboundary';
  const file = wav(10); // 320 KB
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="long.wav"\r\n` +
      'Content-Type: audio/wav\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const before = env.emu.bytesReceived;
  const req = http.request(`${env.t.url}/v1/audio/transcriptions`, {
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
    req.write(Buffer.concat([head, file.subarray(0, 200_000)]));
    // The first 200 KB reach the upstream before the client sends the rest.
    await eventually(() => env.emu.bytesReceived - before >= 150_000, 10_000);
    req.end(Buffer.concat([file.subarray(200_000), tail]));
    const { status, body } = await answer;
    assert.equal(status, 200);
    assert.equal(JSON.parse(body).text, TRANSCRIPT);
    assert.ok(env.emu.requests.at(-1)!.file!.bytes.equals(file));
  } finally {
    req.destroy();
  }
});

test('bad input 400 (no file), not multipart 415, no key 401', async () => {
  const form = new FormData();
  form.append('model', 'whisper-1');
  const noFile = await fetch(`${env.t.url}/v1/audio/transcriptions`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${APP_KEY}` },
  });
  assert.equal(noFile.status, 400);
  const body = await noFile.json();
  assert.equal(body.error.param, 'file');
  assert.equal(body.error.type, 'invalid_request_error');
  const json = await fetch(`${env.t.url}/v1/audio/transcriptions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'whisper-1' }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_KEY}` },
  });
  assert.equal(json.status, 415);
  const anon = await fetch(`${env.t.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  assert.equal(anon.status, 401);
  // @ts-expect-error deliberately invalid
  const speech = await failure(env.client().audio.speech.create({ model: 'tts-1', input: 'hi' }));
  assert.equal(speech.status, 400);
  assert.equal(speech.error.param, 'voice');
});

test('governance: budget and rate-limit refusals for speech and transcriptions', async () => {
  const transcribe = (key: string) =>
    env.client(key).audio.transcriptions.create({ model: 'whisper-1', file: createReadStream(wavPath) });
  const poor = await failure(transcribe(POOR_KEY));
  assert.equal(poor.status, 429);
  assert.equal(poor.error.code, 'insufficient_quota');
  const speak = (key: string, model: string) =>
    env.client(key).audio.speech.create({ model, voice: 'alloy', input: 'hello' });
  const poorSpeech = await failure(speak(POOR_KEY, 'tts-1-hd'));
  assert.equal(poorSpeech.error.code, 'insufficient_quota');
  await speak(RPM_KEY, 'tts-1')
    .then((r) => r.arrayBuffer())
    .catch(() => undefined);
  const limited = await failure(transcribe(RPM_KEY));
  assert.equal(limited.status, 429);
  assert.equal(limited.error.code, 'rate_limit_exceeded');
});

test('Groq-style OpenAI-compatible Whisper: the same upload, priced from the Groq entries', async () => {
  const groqEmu = await startOpenAIEmulator({ apiKey: 'groq-key' });
  const records: UsageRecord[] = [];
  const capture: Plugin = {
    name: 'capture',
    apply: (gw) => {
      gw.hooks.meter.tap('capture', (r) => {
        records.push(r);
      });
    },
  };
  const g = await startGateway({
    providers: [groq({ apiKey: 'groq-key', baseURL: groqEmu.url })],
    plugins: [capture],
    failover: false,
  });
  try {
    const { data, response } = await g.client.audio.transcriptions
      .create({ model: 'groq/whisper-large-v3', file: createReadStream(wavPath) })
      .withResponse();
    assert.equal(data.text, TRANSCRIPT);
    assert.equal(groqEmu.requests.at(-1)!.body.model, 'whisper-large-v3');
    const id = response.headers.get('x-request-id');
    await eventually(() => records.some((r) => r.requestId === id), 5000);
    const rec = records.find((r) => r.requestId === id)!;
    assert.equal(rec.provider, 'groq');
    assert.ok(Math.abs(rec.costUsd! - (2 / 60) * 0.00185) < 1e-12); // $0.111 per hour
  } finally {
    await g.close();
    await groqEmu.close();
  }
});

test('an upload over server.uploadLimit is refused with 413', async () => {
  const small = await startEnv({ uploadLimit: 10_000 });
  try {
    const r = await failure(
      small.client().audio.transcriptions.create({ model: 'whisper-1', file: createReadStream(wavPath) }),
    );
    assert.equal(r.status, 413);
    assert.equal(r.error.code, 'request_too_large');
  } finally {
    await small.close();
  }
});

test('the ledger holds the audio requests with their cost, and no canary', async () => {
  const byModel = await ledgerByModel(env, 'app', 5);
  assert.ok(byModel['whisper-1'].costUsd > 0);
  assert.ok(byModel['tts-1'].costUsd > 0);
  await env.close();
  const files = [env.dbPath, `${env.dbPath}-wal`].filter(existsSync);
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  assert.ok(bytes.includes('whisper-1'));
  for (const canary of [AUDIO_CANARY, SPEECH_CANARY, TRANSCRIPT]) {
    assert.ok(!bytes.includes(canary), `the ledger holds no "${canary}"`);
    assert.ok(!env.t.logs.join('\n').includes(canary), `the logs hold no "${canary}"`);
  }
});
