import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import OpenAI from 'openai';
import { buildApp } from './app.js';

test('the gateway serves under /ai inside an existing Koa app, next to its own routes', async () => {
  const { app, gateway } = await buildApp();
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const own = await fetch(`${base}/`);
    assert.deepEqual(await own.json(), { app: 'my-app', ai: '/ai/v1' });
    assert.equal(own.headers.get('x-powered-by'), 'my-app');

    const client = new OpenAI({ baseURL: `${base}/ai/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: embedded' }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, 'embedded');
    assert.equal(response.headers.get('x-powered-by'), 'my-app', 'the host app middleware wrapped the gateway');

    let streamed = '';
    for await (const c of await client.chat.completions.create({
      model: 'mock-small',
      stream: true,
      messages: [{ role: 'user', content: 'echo: a b' }],
    })) {
      streamed += c.choices[0]?.delta.content ?? '';
    }
    assert.equal(streamed, 'a b');
    assert.equal((await fetch(`${base}/ai/health`)).status, 200);
    assert.equal((await fetch(`${base}/v1/models`)).status, 404, 'nothing is served outside the prefix');
  } finally {
    server.close();
    await gateway.close();
  }
});
