/**
 * GET /v1/models/{id} (the SDK's models.retrieve), allow-lists on the model endpoints, model
 * discovery for OpenAI-compatible servers without a model list, and the model-kind check (issue 13
 * item 6). Through the real HTTP surface with the official openai client.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { mock, openai, openaiCompatible } from '../../../index.js';
import { ModelDiscovery, parseModelList } from '../../../plugins/providers/openai-compatible/discovery.js';
import { startOpenAIEmulator } from '../../emulators/openai.js';
import { eventually, startGateway } from '../../helpers/gateway.js';

const ADMIN = 'admin-key-0123456789abcdef';
const NARROW = 'sk-narrow-key-0123456789';
const WIDE = 'sk-wide-key-0123456789ab';

async function status(p: Promise<unknown>): Promise<{ status: number; error?: any }> {
  try {
    await p;
    return { status: 200 };
  } catch (e: any) {
    return { status: e.status, error: e.error };
  }
}

test('models.retrieve: "provider/model", a bare id, an alias; unknown ids are 404 in the OpenAI shape', async () => {
  const emu = await startOpenAIEmulator();
  const t = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url }), mock()],
    routing: {
      aliases: { fast: 'openai/gpt-4.1-mini' },
      models: { smart: { targets: ['openai/gpt-4.1', 'mock/mock-large'] } },
    },
  });
  try {
    const m = await t.client.models.retrieve('openai/gpt-4.1-mini');
    assert.equal(m.id, 'openai/gpt-4.1-mini');
    assert.equal(m.object, 'model');
    assert.equal(m.owned_by, 'openai');
    assert.equal(typeof m.created, 'number');
    assert.equal((m as any).kind, 'chat', 'the catalog decorates it as in the list');
    assert.equal((m as any).context_window > 0, true);
    const listed = (await t.client.models.list()).data.find((x) => x.id === 'openai/gpt-4.1-mini');
    assert.deepEqual(m, listed, 'the same object as in GET /v1/models');

    const raw = await fetch(`${t.url}/v1/models/openai/gpt-4.1-mini`);
    assert.equal(raw.status, 200, 'an unencoded slash works too');
    assert.equal((await raw.json()).id, 'openai/gpt-4.1-mini');

    const bare = await t.client.models.retrieve('gpt-4.1-mini');
    assert.equal(bare.id, 'gpt-4.1-mini');
    assert.equal(bare.owned_by, 'openai');
    assert.equal((await t.client.models.retrieve('mock/mock-small')).owned_by, 'mock');
    assert.equal((await t.client.models.retrieve('fast')).owned_by, 'switchyard');
    assert.equal((await t.client.models.retrieve('smart')).id, 'smart');

    for (const id of ['openai/no-such-model', 'nope', 'nope/gpt-4.1-mini']) {
      const r = await status(t.client.models.retrieve(id));
      assert.equal(r.status, 404, id);
      assert.equal(r.error.error?.code ?? r.error.code, 'model_not_found');
    }
    const res = await fetch(`${t.url}/v1/models/openai/nope`);
    assert.deepEqual(await res.json(), {
      error: {
        message: 'The model `openai/nope` does not exist or is not enabled on this gateway.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    });
  } finally {
    await t.close();
    await emu.close();
  }
});

test("models.list and models.retrieve respect a key's allow-list (and need a key when auth is on)", async () => {
  const emu = await startOpenAIEmulator();
  const t = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url }), mock()],
    routing: { aliases: { fast: 'openai/gpt-4o-mini' } },
    governance: {
      adminKey: ADMIN,
      ledger: { path: ':memory:' },
      keys: [
        { id: 'narrow', key: NARROW, models: ['openai/gpt-4o-mini', 'fast'] },
        { id: 'wide', key: WIDE, models: ['mock/*'] },
      ],
    },
  });
  const as = (key: string) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
  try {
    const narrow = (await as(NARROW).models.list()).data.map((m) => m.id).sort();
    assert.deepEqual(narrow, ['fast', 'openai/gpt-4o-mini']);
    assert.equal((await as(NARROW).models.retrieve('openai/gpt-4o-mini')).id, 'openai/gpt-4o-mini');
    assert.equal((await as(NARROW).models.retrieve('gpt-4o-mini')).id, 'gpt-4o-mini');
    assert.equal(
      (await status(as(NARROW).models.retrieve('openai/gpt-4.1'))).status,
      404,
      'hidden like an unknown model',
    );
    assert.equal((await status(as(NARROW).models.retrieve('mock/mock-small'))).status, 404);

    const wide = (await as(WIDE).models.list()).data.map((m) => m.id);
    assert.ok(wide.length >= 3 && wide.every((id) => id.startsWith('mock/')), wide.join());
    assert.equal((await as(WIDE).models.retrieve('mock/mock-small')).id, 'mock/mock-small');
    assert.equal((await status(as(WIDE).models.retrieve('openai/gpt-4o-mini'))).status, 404);

    assert.equal((await status(as('sk-not-a-key-000000000').models.retrieve('mock/mock-small'))).status, 401);
    assert.equal((await fetch(`${t.url}/v1/models/mock/mock-small`)).status, 401);
    assert.equal((await fetch(`${t.url}/v1/models`)).status, 401);
  } finally {
    await t.close();
    await emu.close();
  }
});

test('an OpenAI-compatible server without a model list: its models are discovered, listed and routed', async () => {
  const emu = await startOpenAIEmulator({ models: ['llama-3.1-8b-instruct', 'nomic-embed-text', 'qwen/qwen3-32b'] });
  const t = await startGateway({
    providers: [openaiCompatible({ name: 'lab', baseURL: emu.url, apiKey: 'test-key' }), mock()],
  });
  try {
    const ids = (await t.client.models.list()).data.map((m) => m.id);
    for (const id of ['lab/llama-3.1-8b-instruct', 'lab/nomic-embed-text', 'lab/qwen/qwen3-32b'])
      assert.ok(ids.includes(id), `${id} in ${ids.join()}`);
    const m = await t.client.models.retrieve('lab/qwen/qwen3-32b');
    assert.equal(m.owned_by, 'lab');
    assert.equal(m.created, 1_700_000_000, "the upstream's created time is kept");
    const list = emu.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');
    assert.equal(list[0].headers.authorization, 'Bearer test-key', 'discovery sends the provider key');

    // a bare discovered id routes to the provider that lists it
    const { data, response } = await t.client.chat.completions
      .create({ model: 'llama-3.1-8b-instruct', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(response.headers.get('x-switchyard-provider'), 'lab');
    assert.ok(data.choices[0].message.content);
    // the discovered kind is checked too
    const r = await status(
      t.client.chat.completions.create({ model: 'lab/nomic-embed-text', messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.equal(r.status, 400);
    assert.equal(r.error.code, 'wrong_model_kind');

    // repeated listings use the cache: one GET /models (plus background refreshes, none within 10 minutes)
    await t.client.models.list();
    assert.equal(emu.requests.filter((x) => x.method === 'GET' && x.path === '/v1/models').length, 1);
  } finally {
    await t.close();
    await emu.close();
  }
});

test(
  'discovery failures are tolerated: /v1/models still answers, ' + 'the failure is logged once without the key',
  async () => {
    // GET /v1/models answers 500
    const emu = await startOpenAIEmulator({ apiKey: 'test-key-secret-000', models: null });
    const t = await startGateway({
      providers: [openaiCompatible({ name: 'lab', baseURL: emu.url, apiKey: 'test-key-secret-000' }), mock()],
    });
    const down = await startGateway({
      providers: [
        openaiCompatible({ name: 'gone', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'test-key-secret-000' }),
        mock(),
      ],
    });
    try {
      for (const g of [t, down]) {
        const ids = (await g.client.models.list()).data.map((m) => m.id);
        assert.ok(ids.includes('mock/mock-small'));
        assert.ok(!ids.some((id) => id.startsWith('lab/') || id.startsWith('gone/')));
        await g.client.models.list();
      }
      // explicit provider/model still works without a list
      const res = await t.client.chat.completions.create({
        model: 'lab/anything',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.ok(res.choices[0].message.content);
      await eventually(
        () =>
          t.logs.some((l) => l.includes('model discovery failed')) &&
          down.logs.some((l) => l.includes('model discovery failed')),
      );
      for (const g of [t, down]) {
        const lines = g.logs.filter((l) => l.includes('model discovery failed'));
        assert.equal(lines.length, 1, 'logged once per outage');
        assert.ok(!lines[0].includes('test-key-secret-000'), 'no key in the log');
        assert.match(lines[0], /"provider":"(lab|gone)"/);
      }
      assert.match(t.logs.find((l) => l.includes('model discovery failed'))!, /answered 500/);
    } finally {
      await t.close();
      await down.close();
      await emu.close();
    }
  },
);

test(
  'ModelDiscovery: refreshes, keeps the last good list through failures, ' + 'retries after an outage, bounded',
  async () => {
    let answer: unknown = { data: [{ id: 'a' }, { id: 'b' }] };
    let calls = 0;
    const logs: string[] = [];
    const log = {
      info: (o: object, m: string) => void logs.push(`info ${m} ${JSON.stringify(o)}`),
      warn: (o: object, m: string) => void logs.push(`warn ${m} ${JSON.stringify(o)}`),
    };
    const d = new ModelDiscovery(
      'lab',
      async () => {
        calls++;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      log as never,
      { refreshMs: 40, retryMs: 40, timeoutMs: 1000, firstWaitMs: 1000, maxModels: 3 },
    );
    try {
      await d.ready();
      assert.deepEqual(
        d.models.map((m) => m.id),
        ['a', 'b'],
      );
      answer = { data: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] };
      await eventually(() => d.models.length === 3, 5000); // the periodic refresh
      answer = new Error('connect ECONNREFUSED');
      const before = calls;
      await eventually(() => calls > before + 1, 5000);
      assert.deepEqual(
        d.models.map((m) => m.id),
        ['a', 'b', 'c'],
        'the last good list stays',
      );
      assert.equal(logs.filter((l) => l.startsWith('warn')).length, 1, 'one warning per outage');
      answer = { data: [{ id: 'x' }, { id: 'y' }, { id: 'z' }, { id: 'w' }, { id: 'bad id' }, { id: 42 }] };
      await eventually(() => d.models[0]?.id === 'x', 5000);
      assert.deepEqual(
        d.models.map((m) => m.id),
        ['x', 'y', 'z'],
        'at most maxModels, sane ids only',
      );
      assert.ok(logs.some((l) => l.includes('"dropped":3')));
    } finally {
      d.stop();
    }
    // a first discovery that never answers does not hold GET /v1/models past firstWaitMs
    const slow = new ModelDiscovery(
      'slow',
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      log as never,
      { refreshMs: 60_000, retryMs: 60_000, timeoutMs: 60_000, firstWaitMs: 50, maxModels: 10 },
    );
    try {
      const t0 = performance.now();
      await slow.ready();
      assert.ok(performance.now() - t0 < 30_000);
      assert.deepEqual(slow.models, []);
    } finally {
      slow.stop();
    }
    assert.throws(() => parseModelList({ models: [] }, 10), /no `data` list/);
    assert.deepEqual(parseModelList([{ id: 'text-embedding-3-small', created: 5 }], 10).models, [
      { id: 'text-embedding-3-small', kind: 'embeddings', created: 5 },
    ]);
  },
);

test(
  'chat on an embeddings model and embeddings on a chat model are a 400 that says so; ' + 'unknown models stay allowed',
  async () => {
    const emu = await startOpenAIEmulator();
    const t = await startGateway({
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url }), mock()],
      failover: false,
    });
    try {
      const chat = await status(
        t.client.chat.completions.create({
          model: 'openai/text-embedding-3-small',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      assert.equal(chat.status, 400);
      assert.equal(chat.error.code, 'wrong_model_kind');
      assert.equal(chat.error.param, 'model');
      assert.match(chat.error.message, /`openai\/text-embedding-3-small` is an embeddings model.*\/v1\/embeddings/);
      const bare = await status(
        t.client.chat.completions.create({
          model: 'text-embedding-3-small',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      assert.equal(bare.status, 400);
      const mockEmbed = await status(
        t.client.chat.completions.create({ model: 'mock-embed', messages: [{ role: 'user', content: 'hi' }] }),
      );
      assert.equal(mockEmbed.status, 400, 'the kind a provider lists a model with counts too');

      const emb = await status(t.client.embeddings.create({ model: 'openai/gpt-4o-mini', input: 'hi' }));
      assert.equal(emb.status, 400);
      assert.equal(emb.error.code, 'wrong_model_kind');
      assert.match(emb.error.message, /`openai\/gpt-4o-mini` is a chat model: it cannot create embeddings/);

      const anthropic = await fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openai/text-embedding-3-small',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      assert.equal(anthropic.status, 400);
      assert.match((await anthropic.json()).error.message, /embeddings model/);

      // no upstream call was made for the refused requests
      assert.ok(
        !emu.requests.some((r) => r.body?.model === 'text-embedding-3-small' && r.path === '/v1/chat/completions'),
      );
      assert.ok(!emu.requests.some((r) => r.body?.model === 'gpt-4o-mini' && r.path === '/v1/embeddings'));

      // what nothing knows the kind of is tried
      const unknown = await t.client.chat.completions.create({
        model: 'openai/ft:my-own-model',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.ok(unknown.choices[0].message.content);
      const ok = await t.client.embeddings.create({
        model: 'openai/text-embedding-3-small',
        input: 'hi',
        dimensions: 8,
      });
      assert.equal(ok.data.length, 1);
    } finally {
      await t.close();
      await emu.close();
    }
  },
);
