/**
 * The model endpoints skip the router's matching in the gateway's own app, and JSON answers are
 * written straight to node:http there; neither may change what a client or a plugin sees.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Koa from 'koa';
import OpenAI from 'openai';
import { createGateway, definePlugin, mock } from '../../index.js';

const chat = { model: 'mock/mock-fast', messages: [{ role: 'user' as const, content: 'hello' }] };

test('chat under a prefix: answered with every header, usage and a JSON content type', async () => {
  const gw = await createGateway({ server: { prefix: '/ai' }, providers: [mock()], logging: { level: 'silent' } });
  const { url } = await gw.listen({ port: 0 });
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-hot-1' },
      body: JSON.stringify(chat),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('x-request-id'), 'req-hot-1');
    assert.equal(res.headers.get('x-switchyard-provider'), 'mock');
    const text = await res.text();
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)));
    assert.equal(JSON.parse(text).object, 'chat.completion');
    // Without the prefix, and with the wrong method, the router still answers as before.
    assert.equal(
      (await fetch(`${url.replace(/\/ai$/, '')}/v1/chat/completions`, { method: 'POST', body: '{}' })).status,
      404,
    );
    const get = await fetch(`${url}/v1/chat/completions`);
    assert.equal(get.status, 405);
    assert.equal(((await get.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
  } finally {
    await gw.close();
  }
});

test('a plugin route on the same path keeps the router in charge', async () => {
  const override = definePlugin({
    name: 'chat-override',
    apply(gateway) {
      gateway.route({
        method: 'post',
        path: '/v1/chat/completions',
        auth: 'public',
        reason: 'a test override',
        handler: (kctx) => {
          kctx.set('x-overridden', 'yes');
          kctx.body = { id: 'from-plugin', object: 'chat.completion', created: 0, model: 'm', choices: [] };
        },
      });
    },
  })();
  const gw = await createGateway({ providers: [mock()], plugins: [override], logging: { level: 'silent' } });
  const { url } = await gw.listen({ port: 0 });
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat),
    });
    assert.equal(res.headers.get('x-overridden'), 'yes');
    assert.equal(((await res.json()) as { id: string }).id, 'from-plugin');
  } finally {
    await gw.close();
  }
});

test('mounted in another Koa app, the answer still passes through that app’s middleware', async () => {
  const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' } });
  const app = new Koa();
  const seen: Array<{ status: number; type: string; hasBody: boolean }> = [];
  app.use(async (kctx, next) => {
    await next();
    seen.push({ status: kctx.status, type: kctx.type, hasBody: kctx.body !== undefined });
    kctx.set('x-outer', 'after');
  });
  app.use(gw.middleware());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const port = (server.address() as { port: number }).port;
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' });
    const { data, response } = await client.chat.completions.create(chat).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(
      response.headers.get('x-outer'),
      'after',
      'the outer middleware ran after the gateway and could still set headers',
    );
    assert.deepEqual(seen, [{ status: 200, type: 'application/json', hasBody: true }]);
  } finally {
    server.close();
    await gw.close();
  }
});
