/**
 * Issue 14, defect 1: client text that node:http refuses in a header (a CJK model name, an unknown
 * non-ASCII body key listed in x-switchyard-dropped-params) must not hang the request or leak the
 * key's concurrency slot and budget hold; whatever throws while answering, the request ends with an
 * answer, a meter record and its holds released.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { definePlugin, openai } from '../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startEnv, statusOf, type Env } from '../governance/helpers.js';

const KEY = 'sk-hardening-headers-000000000001';
const CJK = '日本語のモデル名';
let env: Env;
let emu: OpenAIEmulator;

/** A buggy plugin: a response header whose value throws when read (set by transformRequest). */
const buggyHeader = definePlugin({
  name: 'buggy-header',
  apply(gateway) {
    gateway.hooks.transformRequest.tap('buggy-header', (req, ctx) => {
      if (ctx.headers['x-test-buggy'] === 'yes') {
        Object.defineProperty(ctx.responseHeaders, 'x-buggy', {
          enumerable: true,
          get() {
            throw new Error('buggy plugin header');
          },
        });
      }
      return req;
    });
  },
});

before(async () => {
  emu = await startOpenAIEmulator();
  env = await startEnv(
    {
      keys: [{ id: 'headers', key: KEY, limits: { concurrent: 1 }, budgets: [{ limitUsd: 100, period: 'month' }] }],
    },
    {
      // /v1/responses through the canonical translation (the emulator speaks Chat Completions only)
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url, responsesApi: false })],
      plugins: [buggyHeader()],
    },
    { emu },
  );
});
after(async () => {
  await env?.close();
  await emu?.close();
});

/** A raw POST that fails (instead of hanging the test) when no answer comes within 5 s. */
async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${env.t.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** The key's single concurrency slot is free: a plain request of the key is admitted. */
async function slotIsFree() {
  const client = env.client(KEY);
  const r = await statusOf(
    client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'free?' }],
      max_tokens: 8,
    }),
  );
  assert.equal(r.status, 200, `the key's concurrency slot was released (got ${r.status} ${JSON.stringify(r.error)})`);
}

function ledgerRow(requestId: string): Promise<any> {
  const end = Date.now() + 5000;
  return (async () => {
    for (;;) {
      const db = new Database(env.dbPath, { readonly: true });
      try {
        const row = db.prepare('SELECT * FROM usage WHERE request_id = ?').get(requestId);
        if (row) return row;
      } finally {
        db.close();
      }
      if (Date.now() > end) throw new Error(`no ledger record for ${requestId}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
}

test(
  'a CJK model name on chat, ' + 'messages and embeddings answers at once with a clean error, and leaks no slot',
  async () => {
    const chat = await post('/v1/chat/completions', {
      model: `openai/${CJK}`,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.ok(chat.status >= 400 && chat.status < 500, `chat answered ${chat.status}: ${chat.text}`);
    assert.equal(chat.json.error.param, 'model');
    await slotIsFree();

    const anthropic = new Anthropic({ baseURL: env.t.url, apiKey: KEY, maxRetries: 0, timeout: 5000 });
    const msg = await anthropic.messages
      .create({ model: `openai/${CJK}`, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => ({ status: 200, error: undefined as any }),
        (e: any) => ({ status: e.status, error: e.error }),
      );
    assert.equal(msg.status, 400);
    assert.equal(msg.error.type, 'error', "the error is in Anthropic's shape");
    assert.equal(msg.error.error.type, 'invalid_request_error');
    await slotIsFree();

    const client = new OpenAI({ baseURL: `${env.t.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 5000 });
    const emb = await statusOf(client.embeddings.create({ model: `openai/${CJK}`, input: 'hi' }));
    assert.equal(emb.status, 400);
    assert.equal(emb.error.param, 'model');
    await slotIsFree();
  },
);

test(
  'an unknown non-ASCII body key on /v1/responses is ' + 'listed percent-encoded in x-switchyard-dropped-params',
  async () => {
    const requestId = `hdr-responses-${Date.now()}`;
    const r = await post(
      '/v1/responses',
      { model: 'gpt-4o-mini', input: 'hi', max_output_tokens: 16, ключ_日本: 1 },
      { 'x-request-id': requestId },
    );
    assert.equal(r.status, 200, r.text);
    const dropped = r.headers.get('x-switchyard-dropped-params');
    assert.ok(dropped, 'the dropped-params header is sent');
    assert.match(dropped!, /^[\x20-\x7E]+$/, 'only printable ASCII on the wire');
    assert.ok(
      decodeURIComponent(dropped!).split(',').includes('ключ_日本'),
      `decodes to the client's key (got ${dropped})`,
    );
    const row = await ledgerRow(requestId);
    assert.equal(row.status, 200);
    await slotIsFree();
  },
);

test(
  'a plugin header that throws: the request is answered, ' + 'metered and releases its slot (plain and streamed)',
  async () => {
    for (const stream of [false, true]) {
      const requestId = `hdr-buggy-${stream}-${Date.now()}`;
      const r = await post(
        '/v1/chat/completions',
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream },
        { 'x-test-buggy': 'yes', 'x-request-id': requestId },
      );
      assert.ok(r.status === 200 || r.status === 500, `answered (${r.status})`);
      assert.equal(r.headers.get('x-buggy'), null, 'the unreadable header is left out');
      const row = await ledgerRow(requestId);
      assert.ok(row.status === 200 || row.status === 500);
      await slotIsFree();
    }
  },
);

test('the budget hold of a request that failed while answering is settled (nothing stays held)', async () => {
  const budgets = await env.admin('GET', '/admin/budgets');
  const b = budgets.json.data.find((x: any) => x.id === 'headers');
  assert.equal(b.heldUsd, 0, JSON.stringify(b));
});
