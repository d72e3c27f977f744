/**
 * Property-based tests of every ingress (issue 14): arbitrary bodies (garbage JSON of any type,
 * unicode text, valid requests with random fields replaced, deep nesting, big strings, stream flags)
 * against a gateway with governance (a concurrency limit of 1 catches any leaked slot), the cache
 * and the meter. Invariant: every request ends, in bounded time, with a well-formed answer or a clean
 * 4xx in the client's dialect: never a 5xx, a hang, a 429 (no limit is reachable sequentially) or a
 * malformed body; and memory stays bounded over the run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { mock } from '../../index.js';
import { tempDb } from '../governance/helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const KEY = 'sk-property-0123456789abcdef';
const RUNS = Number(process.env.SY_PROPERTY_RUNS ?? 60);
let t: TestGateway;

before(async () => {
  t = await startGateway({
    server: { bodyLimit: 256 * 1024 },
    providers: [mock()],
    cache: {},
    governance: {
      adminKey: 'property-admin-key-0123456789',
      keys: [{ id: 'prop', key: KEY, limits: { concurrent: 1 } }],
      ledger: { path: tempDb(), flushIntervalMs: 100 },
    },
  });
});
after(() => t.close());

type Dialect = 'openai' | 'anthropic';
interface Ingress {
  path: string;
  dialect: Dialect;
  base: Record<string, unknown>;
  ok(json: any): boolean;
  streamEnd?: RegExp;
}

const user = [{ role: 'user', content: 'echo: property' }];
const INGRESSES: Record<string, Ingress> = {
  chat: {
    path: '/v1/chat/completions',
    dialect: 'openai',
    base: { model: 'mock/m', messages: user },
    ok: (j) => j.object === 'chat.completion' && Array.isArray(j.choices),
    streamEnd: /data: \[DONE\]\n\n$|"error"/,
  },
  embeddings: {
    path: '/v1/embeddings',
    dialect: 'openai',
    base: { model: 'mock/embed', input: 'property' },
    ok: (j) => j.object === 'list' && Array.isArray(j.data),
  },
  messages: {
    path: '/v1/messages',
    dialect: 'anthropic',
    base: { model: 'mock/m', max_tokens: 32, messages: user },
    ok: (j) => j.type === 'message' && Array.isArray(j.content),
    streamEnd: /event: message_stop|event: error/,
  },
  count_tokens: {
    path: '/v1/messages/count_tokens',
    dialect: 'anthropic',
    base: { model: 'mock/m', messages: user },
    ok: (j) => Number.isInteger(j.input_tokens),
  },
  responses: {
    path: '/v1/responses',
    dialect: 'openai',
    base: { model: 'mock/m', input: 'echo: property' },
    ok: (j) => j.object === 'response',
    streamEnd: /response\.completed|response\.failed|event: error/,
  },
};

const text = fc.string({ unit: 'binary', maxLength: 40 });
const anyJson = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
/** Printable ASCII: model names and unknown keys end up in response headers (non-ASCII: see the todo test). */
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const nested = fc
  .integer({ min: 1, max: 3000 })
  .map((n) => JSON.parse('['.repeat(Math.min(n, 100)) + ']'.repeat(Math.min(n, 100))) as unknown);

/**
 * A valid body with some fields replaced by arbitrary values (`replace`: none, for mostly valid
 * bodies), some keys added, maybe a stream flag. `key` and `model` generate the unknown keys and
 * model names (they reach response headers).
 */
function mutated(ing: Ingress, replace = true, key = printable, modelName = printable) {
  const keys = Object.keys(ing.base);
  return fc
    .record({
      replace: replace
        ? fc.dictionary(
            fc.constantFrom(...keys, 'stream', 'temperature', 'tools', 'metadata', 'system', 'instructions'),
            fc.oneof(anyJson, nested, text),
            { maxKeys: 3 },
          )
        : fc.constant({}),
      extra: fc.dictionary(key, anyJson, { maxKeys: 3 }),
      model: fc.option(
        fc.oneof(modelName, fc.constantFrom('mock/m', 'mock/', '/m', 'nope/x', 'mock/' + 'x'.repeat(300))),
        { nil: undefined },
      ),
      stream: fc.boolean(),
      content: fc.option(fc.oneof(text, fc.string({ unit: 'grapheme', maxLength: 2000 })), { nil: undefined }),
    })
    .map(({ replace, extra, model, stream, content }) => {
      const body: Record<string, unknown> = { ...structuredClone(ing.base), ...extra };
      if (content !== undefined) {
        if ('messages' in body) body.messages = [{ role: 'user', content }];
        else if ('input' in body) body.input = content;
      }
      if (model !== undefined) body.model = model;
      if (stream) body.stream = true;
      Object.assign(body, replace);
      return JSON.stringify(body);
    });
}

function bodies(ing: Ingress) {
  return fc.oneof(
    { weight: 4, arbitrary: mutated(ing) },
    { weight: 3, arbitrary: mutated(ing, false) },
    { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) }, // not JSON at all
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 129, max: 20_000 })
        .map((n) => `{"model":"mock/m","x":${'['.repeat(n)}${']'.repeat(n)}}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 200_000, max: 400_000 })
        .map((n) => JSON.stringify({ ...ing.base, pad: 'p'.repeat(n) })),
    },
  );
}

function errorShape(dialect: Dialect, j: any): boolean {
  if (dialect === 'anthropic')
    return (
      j?.type === 'error' &&
      typeof j.error?.type === 'string' &&
      typeof j.error?.message === 'string' &&
      j.error.message.length > 0
    );
  return (
    typeof j?.error?.message === 'string' &&
    j.error.message.length > 0 &&
    typeof j.error.type === 'string' &&
    (j.error.code === null || typeof j.error.code === 'string')
  );
}

async function send(ing: Ingress, body: string, gateway = t, timeoutMs = 15_000): Promise<void> {
  const res = await fetch(`${gateway.url}${ing.path}`, {
    method: 'POST',
    body,
    signal: AbortSignal.timeout(timeoutMs),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
  });
  const raw = await res.text();
  const where = `${ing.path} ${res.status} ${raw.slice(0, 300)} <- ${body.slice(0, 300)}`;
  assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), where);
  assert.notEqual(res.status, 429, `nothing can be rate limited here (a leaked concurrency slot?): ${where}`);
  if (res.status !== 200) {
    let j: unknown;
    assert.doesNotThrow(() => {
      j = JSON.parse(raw);
    }, where);
    assert.ok(errorShape(ing.dialect, j), `error shape: ${where}`);
    return;
  }
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    assert.ok(ing.streamEnd, where);
    assert.match(raw, ing.streamEnd!, `a stream ends with its terminator or an error event: ${where}`);
    return;
  }
  let j: unknown;
  assert.doesNotThrow(() => {
    j = JSON.parse(raw);
  }, where);
  assert.ok(ing.ok(j), `answer shape: ${where}`);
}

for (const [name, ing] of Object.entries(INGRESSES)) {
  test(`property: ${name} answers any body with a well-formed answer or a clean 4xx in its dialect`, async () => {
    await fc.assert(
      fc.asyncProperty(bodies(ing), (body) => send(ing, body)),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
}

test('property: memory stays bounded over the runs, and the gateway still answers a plain request', async () => {
  const rss = process.memoryUsage().rss;
  await fc.assert(
    fc.asyncProperty(bodies(INGRESSES.chat), (body) => send(INGRESSES.chat, body)),
    { numRuns: RUNS, endOnFailure: true },
  );
  const grown = process.memoryUsage().rss - rss;
  assert.ok(grown < 256 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1048576)} MiB`);
  await send(INGRESSES.chat, JSON.stringify(INGRESSES.chat.base));
});

/**
 * Issue 14's defects 1 and 6: a model name or an unknown body key with characters Node refuses in a
 * header hung the request and leaked its concurrency slot.
 */
test(
  'property: unicode model names and body keys (header-unsafe text) ' + 'get a clean answer on every ingress',
  async () => {
    const own = await startGateway({
      server: { shutdownTimeoutMs: 100 },
      providers: [mock()],
      governance: {
        adminKey: 'property-admin-key-0123456789',
        keys: [{ id: 'prop', key: KEY, limits: { concurrent: 1 } }],
        ledger: { path: tempDb(), flushIntervalMs: 100 },
      },
    });
    const unicode = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    try {
      for (const ing of Object.values(INGRESSES)) {
        const arb = mutated(
          ing,
          false,
          unicode,
          unicode.map((s) => `mock/${s}`),
        );
        await fc.assert(
          fc.asyncProperty(arb, (body) => send(ing, body, own, 3000)),
          { numRuns: Math.ceil(RUNS / 2), endOnFailure: true },
        );
      }
    } finally {
      await own.close();
    }
  },
);
