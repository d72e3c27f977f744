/**
 * Failover on the media endpoints only where the request can be sent again: images and a buffered audio
 * upload move on to the next target after a failure; an upload streamed through (model before file) goes
 * to one target only, whose error is the answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { APP_KEY, failure, startEnv, type Env } from './helpers.js';

let env: Env;

before(async () => {
  env = await startEnv(
    {},
    {
      failover: { retries: 0, backoffMs: 1 },
      routing: {
        aliases: {
          'images-with-backup': ['openai/error-503', 'openai/dall-e-2'],
          'whisper-with-backup': ['openai/error-503', 'openai/whisper-1'],
        },
      },
    },
  );
});
after(async () => {
  await env.close();
});

const form = (order: 'model-first' | 'file-first') => {
  const f = new FormData();
  const file = new Blob([Buffer.from('RIFF....WAVEnot really audio')], { type: 'audio/wav' });
  if (order === 'model-first') f.append('model', 'whisper-with-backup');
  f.append('file', file, 'a.wav');
  if (order === 'file-first') f.append('model', 'whisper-with-backup');
  return f;
};

const upload = (order: 'model-first' | 'file-first') =>
  fetch(`${env.t.url}/v1/audio/transcriptions`, {
    method: 'POST',
    body: form(order),
    headers: { authorization: `Bearer ${APP_KEY}` },
  });

test('images fail over to the next target', async () => {
  const { data, response } = await env
    .client()
    .images.generate({ model: 'images-with-backup', prompt: 'x' })
    .withResponse();
  assert.equal(data.data!.length, 1);
  assert.equal(response.headers.get('x-switchyard-model'), 'dall-e-2');
  assert.equal(response.headers.get('x-switchyard-attempts'), '2');
});

test('a buffered upload (file first) fails over; a streamed one (model first) does not', async () => {
  const buffered = await upload('file-first');
  assert.equal(buffered.status, 200);
  assert.equal(buffered.headers.get('x-switchyard-model'), 'whisper-1');
  assert.equal(env.emu.requests.at(-1)!.body.model, 'whisper-1');
  assert.ok(env.emu.requests.at(-1)!.file!.bytes.toString().startsWith('RIFF'));

  const streamed = await upload('model-first');
  assert.equal(streamed.status, 503);
  assert.equal((await streamed.json()).error.type, 'server_error');
  assert.equal(streamed.headers.get('x-switchyard-attempts'), '1');
  // a bad input through the SDK path is still a 400
  const bad = await failure(env.client().images.generate({ model: 'images-with-backup', prompt: '' }));
  assert.equal(bad.status, 400);
});
