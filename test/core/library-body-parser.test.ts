/**
 * Library mode behind the host app's body parser (issue 13 item 3): `app.use(bodyParser())` before
 * `gateway.middleware()` reads the request stream first; the gateway then takes the body from what
 * the parser left (raw body first, else the parsed value), with its own body limit.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { bodyParser as koaBodyParser } from '@koa/bodyparser';
import Anthropic from '@anthropic-ai/sdk';
import Koa from 'koa';
import legacyBodyParser from 'koa-bodyparser';
import OpenAI from 'openai';
import { createGateway, mock, type SwitchyardGateway } from '../../index.js';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const APP_KEY = 'sk-app-0123456789abcdef';
const LIMIT = 64 * 1024;
const AUTH = { authorization: `Bearer sk-app-0123456789abcdef` };

interface Host {
  base: string;
  gateway: SwitchyardGateway;
  /** What the host app saw after the gateway answered (its own middleware still runs). */
  seen: string[];
  close(): Promise<void>;
}

async function host(parser: Koa.Middleware | undefined, extra: { keepRaw?: boolean } = {}): Promise<Host> {
  const gateway = await createGateway({
    server: { prefix: '/ai', bodyLimit: LIMIT },
    providers: [mock()],
    governance: { adminKey: ADMIN_KEY, keys: [{ id: 'app', key: APP_KEY }], ledger: { path: ':memory:' } },
    logging: { level: 'silent' },
  });
  const seen: string[] = [];
  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    seen.push(`${ctx.method} ${ctx.path} ${ctx.status}`);
  });
  if (parser) app.use(parser);
  if (extra.keepRaw === false) {
    // A parser that keeps only the parsed value (no rawBody): the gateway uses that value.
    app.use(async (ctx, next) => {
      delete (ctx.request as { rawBody?: unknown }).rawBody;
      await next();
    });
  }
  app.use(gateway.middleware());
  app.use((ctx) => {
    if (ctx.path === '/echo') ctx.body = { got: (ctx.request as { body?: unknown }).body ?? null };
    else ctx.status = 404;
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    gateway,
    seen,
    async close() {
      await new Promise((r) => server.close(r));
      await gateway.close();
    },
  };
}

const PARSERS: Array<[string, () => Koa.Middleware]> = [
  // Large JSON limits so the gateway's own limit is the one that applies.
  [
    '@koa/bodyparser',
    () => koaBodyParser({ jsonLimit: '20mb', enableTypes: ['json', 'form', 'text'] }) as Koa.Middleware,
  ],
  [
    'koa-bodyparser',
    () => legacyBodyParser({ jsonLimit: '20mb', enableTypes: ['json', 'form', 'text'] }) as unknown as Koa.Middleware,
  ],
];

for (const [name, make] of PARSERS) {
  test(
    `${name} before gateway.middleware(): ` + 'chat, streams, embeddings, messages, responses and the admin API work',
    async () => {
      const h = await host(make());
      try {
        const client = new OpenAI({ baseURL: `${h.base}/ai/v1`, apiKey: APP_KEY, maxRetries: 0, timeout: 10_000 });
        const chat = await client.chat.completions.create({
          model: 'mock-small',
          messages: [{ role: 'user', content: 'echo: größer ✓' }],
        });
        assert.equal(chat.choices[0].message.content, 'größer ✓', 'the raw body is used byte for byte');

        let streamed = '';
        const stream = await client.chat.completions.create({
          model: 'mock-small',
          stream: true,
          messages: [{ role: 'user', content: 'echo: a b c' }],
        });
        for await (const c of stream) streamed += c.choices[0]?.delta.content ?? '';
        assert.equal(streamed, 'a b c');

        const emb = await client.embeddings.create({ model: 'mock-embed', input: ['one', 'two'] });
        assert.equal(emb.data.length, 2);

        const resp = await client.responses.create({ model: 'mock-small', input: 'echo: via responses' });
        assert.equal(resp.output_text, 'via responses');

        const anthropic = new Anthropic({ baseURL: `${h.base}/ai`, apiKey: APP_KEY, maxRetries: 0, timeout: 10_000 });
        const msg = await anthropic.messages.create({
          model: 'mock-small',
          max_tokens: 32,
          messages: [{ role: 'user', content: 'echo: claude' }],
        });
        assert.deepEqual(msg.content, [{ type: 'text', text: 'claude' }]);

        const created = await fetch(`${h.base}/ai/admin/keys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ id: 'from-host', name: 'Host app' }),
        });
        assert.equal(created.status, 201, await created.clone().text());
        assert.equal((await created.json()).id, 'from-host');

        // The host app's own routes still get the parsed body.
        const echo = await fetch(`${h.base}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"a":1}',
        });
        assert.deepEqual(await echo.json(), { got: { a: 1 } });
        assert.ok(h.seen.includes('POST /ai/v1/chat/completions 200'), 'the host middleware wrapped the gateway');
      } finally {
        await h.close();
      }
    },
  );

  test(`${name}: bodies the parser reads in other ways (form, text, empty) keep their meaning`, async () => {
    const h = await host(make());
    try {
      const url = `${h.base}/ai/v1/chat/completions`;
      const json = JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: from curl -d' }] });
      // `curl -d '{...}'` sends application/x-www-form-urlencoded: the parser reads it as a form,
      // the gateway still gets the exact text (it does not look at Content-Type).
      const form = await fetch(url, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' },
        body: json,
      });
      assert.equal(form.status, 200, await form.clone().text());
      assert.equal((await form.json()).choices[0].message.content, 'from curl -d');

      const text = await fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/plain' }, body: json });
      assert.equal(text.status, 200);

      const empty = await fetch(url, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: '',
      });
      assert.equal(empty.status, 400);
      const e = (await empty.json()).error;
      assert.equal(e.code, 'invalid_json');
      assert.match(e.message, /the body is empty$/);
    } finally {
      await h.close();
    }
  });

  test(
    `${name}: the gateway's body limit still applies (413), ` +
      'and multipart is left to the gateway (400, not "empty")',
    async () => {
      const h = await host(make());
      try {
        const url = `${h.base}/ai/v1/chat/completions`;
        // Over the gateway's 64 KiB limit, well under the parser's 20 MB: the parser reads it all, the gateway
        // refuses it.
        const big = JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] });
        const tooLarge = await fetch(url, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body: big,
        });
        assert.equal(tooLarge.status, 413);
        assert.equal((await tooLarge.json()).error.code, 'request_too_large');
        // Multi-byte characters count as bytes: under the limit in characters, over it in UTF-8.
        const wide = JSON.stringify({
          model: 'mock-small',
          messages: [{ role: 'user', content: 'ü'.repeat(LIMIT / 2 + 10) }],
        });
        assert.ok(wide.length < LIMIT && Buffer.byteLength(wide) > LIMIT);
        assert.equal(
          (await fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: wide }))
            .status,
          413,
        );
        // Just under the limit passes.
        const fits = JSON.stringify({
          model: 'mock-small',
          messages: [{ role: 'user', content: 'echo: ' + 'y'.repeat(LIMIT - 200) }],
        });
        assert.equal(
          (await fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: fits }))
            .status,
          200,
        );

        // The parser leaves multipart alone; the gateway reads the stream itself and says what is wrong.
        const fd = new FormData();
        fd.append('model', 'mock-small');
        fd.append('file', new Blob([new Uint8Array(200_000)]), 'audio.wav');
        const multipart = await fetch(url, { method: 'POST', headers: AUTH, body: fd });
        assert.equal(multipart.status, 413, 'a multipart body over the limit is 413');
        const small = new FormData();
        small.append('model', 'mock-small');
        const res = await fetch(url, { method: 'POST', headers: AUTH, body: small });
        assert.equal(res.status, 400);
        const err = (await res.json()).error;
        assert.equal(err.code, 'invalid_json');
        assert.doesNotMatch(err.message, /empty/);
      } finally {
        await h.close();
      }
    },
  );

  test(`${name} without a raw body: the parsed value is used, with the limit on its JSON size`, async () => {
    const h = await host(make(), { keepRaw: false });
    try {
      const client = new OpenAI({ baseURL: `${h.base}/ai/v1`, apiKey: APP_KEY, maxRetries: 0, timeout: 10_000 });
      const chat = await client.chat.completions.create({
        model: 'mock-small',
        messages: [{ role: 'user', content: 'echo: parsed only' }],
      });
      assert.equal(chat.choices[0].message.content, 'parsed only');
      const big = JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] });
      const res = await fetch(`${h.base}/ai/v1/chat/completions`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: big,
      });
      assert.equal(res.status, 413);
    } finally {
      await h.close();
    }
  });
}

test('a middleware that reads the stream and keeps nothing gets a 400 that says why', async () => {
  const drain: Koa.Middleware = async (ctx, next) => {
    for await (const _ of ctx.req) {
      /* discard */
    }
    await next();
  };
  const h = await host(drain);
  try {
    const res = await fetch(`${h.base}/ai/v1/chat/completions`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{"model":"mock-small","messages":[]}',
    });
    assert.equal(res.status, 400);
    const err = (await res.json()).error;
    assert.equal(err.code, 'invalid_json');
    assert.match(err.message, /another middleware read the request stream/);
  } finally {
    await h.close();
  }
});

test('the dashboard sign-in works behind a form body parser', async () => {
  const { dashboard } = await import('../../index.js');
  const gateway = await createGateway({
    providers: [mock()],
    governance: { adminKey: ADMIN_KEY, ledger: { path: ':memory:' } },
    plugins: [dashboard()],
    logging: { level: 'silent' },
  });
  const app = new Koa();
  app.use(koaBodyParser() as Koa.Middleware);
  app.use(gateway.middleware());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/dashboard/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: ADMIN_KEY }).toString(),
    });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('set-cookie') ?? '', /sy_dash=/);
  } finally {
    await new Promise((r) => server.close(r));
    await gateway.close();
  }
});
