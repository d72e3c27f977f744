/** Upstream JSON is relayed as is only while nothing changed it: transforms always win. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { definePlugin, openai } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/** Mutates in place (the risky way to write a transform), so a stale raw copy would show. */
const shout = definePlugin({
  name: 'shout',
  apply(gw) {
    gw.hooks.transformResponse.tap('shout', (res) => {
      res.choices[0].message.content = String(res.choices[0].message.content).toUpperCase();
      return res;
    });
    gw.hooks.transformChunk.tap('shout', (chunk) => {
      const d = chunk?.choices[0]?.delta;
      if (d?.content) d.content = d.content.toUpperCase();
      return chunk;
    });
  },
});

let emu: OpenAIEmulator;
let plain: TestGateway;
let transformed: TestGateway;

before(async () => {
  emu = await startOpenAIEmulator();
  plain = await startGateway({ providers: [openai({ apiKey: 'test-key', baseURL: emu.url })] });
  transformed = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
    plugins: [shout()],
  });
});
after(async () => {
  await plain.close();
  await transformed.close();
  await emu.close();
});

test('without transforms the upstream answer arrives unchanged', async () => {
  const res = await plain.client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'echo: quiet words' }],
  });
  assert.equal(res.choices[0].message.content, 'quiet words');
  assert.equal(res.system_fingerprint, 'fp_mock');
});

test('in-place transforms of responses and chunks are what the client gets', async () => {
  const res = await transformed.client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'echo: quiet words' }],
  });
  assert.equal(res.choices[0].message.content, 'QUIET WORDS');
  let text = '';
  for await (const c of await transformed.client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [{ role: 'user', content: 'echo: quiet words' }],
  })) {
    text += c.choices[0]?.delta.content ?? '';
  }
  assert.equal(text, 'QUIET WORDS');
});

test('a usage chunk the client did not ask for is stripped even from relayed chunks', async () => {
  const chunks = [];
  for await (const c of await plain.client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [{ role: 'user', content: 'echo: a b' }],
  }))
    chunks.push(c);
  assert.ok(chunks.every((c) => !c.usage));
  assert.ok(chunks.every((c) => c.choices.length > 0));
});
