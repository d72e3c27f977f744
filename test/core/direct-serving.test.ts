/**
 * The model endpoints in the gateway's own server skip Koa (core/http/direct.ts): the same answers,
 * headers, errors and accounting as through Koa, and Koa still serves everything else, the hot routes
 * of a gateway mounted in another app, and a hot path that a plugin's middleware shares.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Koa from 'koa';
import OpenAI from 'openai';
import { createGateway, mock, type SwitchyardConfig, type SwitchyardGateway } from '../../index.js';

const CHAT = { model: 'mock/mock-fast', messages: [{ role: 'user' as const, content: 'hi' }] };

/** Count the Koa contexts the gateway's own app makes. */
function countKoa(gw: SwitchyardGateway): { count: number } {
  const seen = { count: 0 };
  const make = gw.app.createContext.bind(gw.app);
  gw.app.createContext = (req, res) => {
    seen.count++;
    return make(req, res);
  };
  return seen;
}

async function started(config: SwitchyardConfig = {}) {
  const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' }, ...config });
  const koa = countKoa(gw);
  const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
  return { gw, koa, url, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('chat, streams and embeddings are served without a Koa context; other routes still through Koa', async () => {
  const { gw, koa, url, client } = await started();
  try {
    const answer = await client.chat.completions.create(CHAT);
    assert.equal(answer.object, 'chat.completion');
    const stream = await client.chat.completions.create({ ...CHAT, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
    const emb = await client.embeddings.create({ model: 'mock/mock-embed', input: 'x' });
    assert.equal(emb.data.length, 1);
    // The request id rides in the one writeHead of each answer (DirectContext.requestId), streams too.
    const streamed = await post(`${url}/v1/chat/completions`, JSON.stringify({ ...CHAT, stream: true }), {
      'x-request-id': 'req-stream-1',
    });
    assert.equal(streamed.headers.get('x-request-id'), 'req-stream-1');
    assert.match(await streamed.text(), /data: \[DONE\]/);
    const unnamed = await post(`${url}/v1/chat/completions`, JSON.stringify({ ...CHAT, stream: true }));
    assert.match(unnamed.headers.get('x-request-id') ?? '', /^[\w-]{8,}$/);
    await unnamed.text();
    const withQuery = await post(`${url}/v1/chat/completions?trace=1`, JSON.stringify(CHAT));
    assert.equal(withQuery.status, 200);
    await withQuery.text();
    assert.equal(koa.count, 0, 'no Koa context for the model endpoints');

    const models = await client.models.list();
    assert.ok(models.data.length > 0);
    assert.equal(koa.count, 1, 'GET /v1/models goes through Koa');
    assert.equal(gw.inFlight, 0);
  } finally {
    await gw.close();
  }
});

test('errors, the request id and the body limit are the same as through Koa', async () => {
  const { gw, koa, url } = await started({ server: { bodyLimit: 1024 } });
  // The same gateway config mounted in another Koa app: always through Koa.
  const lib = await createGateway({ providers: [mock()], logging: { level: 'silent' }, server: { bodyLimit: 1024 } });
  const app = new Koa();
  app.use(lib.middleware());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const libUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['ok', JSON.stringify(CHAT), { 'x-request-id': 'req-given-1' }],
      ['bad json', '{"model":', {}],
      ['unknown model', JSON.stringify({ ...CHAT, model: 'nobody/none' }), {}],
      ['no messages', JSON.stringify({ model: 'mock/mock-fast' }), {}],
      ['too large', JSON.stringify({ ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(2000) }] }), {}],
    ];
    for (const [name, body, headers] of cases) {
      const [a, b] = await Promise.all([
        post(`${url}/v1/chat/completions`, body, headers),
        post(`${libUrl}/v1/chat/completions`, body, headers),
      ]);
      assert.equal(a.status, b.status, name);
      const [ja, jb] = [await a.json(), await b.json()];
      if (a.status !== 200) assert.deepEqual(ja, jb, name);
      else assert.equal(ja.object, 'chat.completion');
      const names = (r: Response) =>
        [...r.headers.keys()].filter((h) => !['date', 'connection', 'keep-alive'].includes(h)).sort();
      assert.deepEqual(names(a), names(b), `${name}: header names`);
      assert.equal(a.headers.get('content-type'), b.headers.get('content-type'), name);
      assert.ok(a.headers.get('x-request-id'), `${name}: x-request-id`);
      if (headers['x-request-id']) assert.equal(a.headers.get('x-request-id'), 'req-given-1');
    }
    assert.equal(koa.count, 0);
    assert.equal(gw.inFlight, 0);
  } finally {
    server.close();
    await Promise.all([gw.close(), lib.close()]);
  }
});

test('a hot path that a plugin middleware shares goes through Koa and its middleware runs', async () => {
  const seen: string[] = [];
  const { gw, koa, client } = await started({
    plugins: [
      {
        name: 'watcher',
        apply(gateway) {
          gateway.router.use('/v1/chat/completions', async (_kctx, next) => {
            seen.push('watcher');
            await next();
          });
        },
      },
    ],
  });
  try {
    const answer = await client.chat.completions.create(CHAT);
    assert.equal(answer.object, 'chat.completion');
    assert.deepEqual(seen, ['watcher']);
    assert.equal(koa.count, 1);
    await client.embeddings.create({ model: 'mock/mock-embed', input: 'x' });
    assert.equal(koa.count, 1, 'the other hot routes still skip Koa');
  } finally {
    await gw.close();
  }
});

test('an app whose middleware list was changed keeps every request on Koa', async () => {
  const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' } });
  const seen: string[] = [];
  gw.app.middleware.unshift(async (kctx, next) => {
    seen.push(kctx.path);
    await next();
  });
  const koa = countKoa(gw);
  const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
  try {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create(CHAT);
    assert.equal(answer.object, 'chat.completion');
    assert.equal(koa.count, 1);
    assert.deepEqual(seen, ['/v1/chat/completions'], 'the added middleware ran');
  } finally {
    await gw.close();
  }
});
