/**
 * Every mounted route that serves a client API request produces exactly one meter record (issue 17): with
 * every feature that mounts client routes on, each such route gets one valid request through the official
 * SDKs (or fetch where there is no SDK call), whose record must carry the route's operation and dialect, the
 * HTTP status and the key's id. A refusal is metered too: an unknown model (an unknown provider, file or batch
 * id on the forwarded routes) at every route, with its error status. Bad JSON is the documented exception
 * (docs/plugins.md, `meter`): refused before the request's context exists, it is not metered, except where the
 * context exists before the body is read (uploads). So are `GET /v1/models` and `GET /v1/models/{id}`.
 *
 * The routes are the router's own list (as in route-audit.test.ts): `gateway.routes` gives each listed route's
 * rule, but the core's OpenAI ingress (chat, embeddings, models, completions, media, rerank, passthrough, files,
 * batches) is mounted on the router directly and is not in it. Admin, custom-guard and public routes are out of
 * scope by their rule; the probes and the key-authenticated status routes by name. Any other route without a
 * row in REQUESTS fails the first test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import type { UsageRecord } from '../../index.js';
import { KEY, KEY_ID, type MeterEnv, png, startMeterEnv, wav } from './route-meter-env.js';

/** Key-authenticated routes that serve no client API request: they run only auth (docs/plugins.md). */
const STATUS_ROUTES: Record<string, string> = {
  'GET /health/targets': "failover's breaker and latency report",
  'GET /v1/usage': "governance: the calling key's own usage report",
  'GET /cache/stats': "the cache's counters",
};
/** The core's probes: not in gateway.routes, no hooks (docs/plugins.md). */
const PROBES = new Set(['GET /health', 'GET /ready']);

interface Layer {
  path: string | RegExp;
  methods: string[];
}

/** `METHOD path` of every route on the router ('ALL' for router.all), with its rule when gateway.routes lists it. */
function mountedRoutes(env: MeterEnv): Array<{ id: string; auth?: string; ingress?: string }> {
  const stack = (env.t.gw.router as unknown as { stack: Layer[] }).stack;
  const out: Array<{ id: string; auth?: string; ingress?: string }> = [];
  for (const layer of stack) {
    const path = String(layer.path);
    const methods = layer.methods.length > 10 ? ['ALL'] : layer.methods.filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const listed = env.t.gw.routes.find((r) => String(r.path) === path && r.methods.includes(method));
      out.push({ id: `${method} ${path}`, auth: listed?.auth, ingress: listed?.ingress });
    }
  }
  return out;
}

/** Why a mounted route needs no request here, or undefined when it serves client API requests. */
function excludedBecause(r: { id: string; auth?: string; ingress?: string }): string | undefined {
  if (r.auth === 'admin') return 'admin API (admin key)';
  if (r.auth === 'custom') return "the plugin's own guard (metrics, dashboard)";
  if (r.auth === 'public') return 'public (documented in route-audit.test.ts)';
  if (!r.auth && PROBES.has(r.id)) return 'liveness or readiness probe';
  if (r.auth === 'key' && !r.ingress && STATUS_ROUTES[r.id]) return `status route: ${STATUS_ROUTES[r.id]}`;
  return undefined;
}

type Expect = Pick<UsageRecord, 'operation' | 'dialect'>;

interface Call {
  id: string;
  url: string;
  openai: OpenAI;
  anthropic: Anthropic;
}

/** Ids created by earlier rows, for the routes with a `:id`. */
const made = { file: '', batch: '', messageBatch: '' };

const messages = [{ role: 'user' as const, content: 'hi' }];
const jsonl = `${JSON.stringify({
  custom_id: 'r1',
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gpt-4o-mini', messages },
})}\n`;

/** The HTTP status of an SDK call (it throws on an error status, which fails the row). */
async function statusOf(p: { withResponse(): Promise<{ data: unknown; response: Response }> }): Promise<number> {
  const { data, response } = await p.withResponse();
  if (data instanceof Response) await data.arrayBuffer(); // binary answers (speech, file content): read them
  return response.status;
}

/** The client's headers for a fetch: its request id and the key, the way OpenAI's or Anthropic's SDK sends it. */
const headers = (c: Call, anthropic = false): Record<string, string> => ({
  'x-request-id': c.id,
  ...(anthropic ? { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } : { authorization: `Bearer ${KEY}` }),
});

/** A request without an SDK call (rerank, passthrough, Anthropic batch results); its status. */
async function raw(c: Call, method: string, path: string, init: { json?: unknown; anthropic?: boolean } = {}) {
  const json: Record<string, string> = init.json === undefined ? {} : { 'content-type': 'application/json' };
  const res = await fetch(c.url + path, {
    method,
    headers: { ...headers(c, init.anthropic), ...json },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  await res.arrayBuffer();
  return res.status;
}

const chat: Expect = { operation: 'chat', dialect: 'openai' };
const forwarded = (operation: 'files' | 'batches' | 'passthrough'): Expect => ({ operation, dialect: 'passthrough' });
const op = (operation: Expect['operation']): Expect => ({ operation, dialect: 'openai' });
const rerank: Expect = { operation: 'rerank', dialect: 'cohere' };
const completions: Expect = { operation: 'chat', dialect: 'completions' };
const responses: Expect = { operation: 'chat', dialect: 'responses' };
const messagesApi: Expect = { operation: 'chat', dialect: 'anthropic' };
const countTokens: Expect = { operation: 'count_tokens', dialect: 'anthropic' };
const pngFile = () => toFile(png(16), 'tiny.png', { type: 'image/png' });
const wavFile = () => toFile(wav(1), 'tiny.wav', { type: 'audio/wav' });
const RERANK = { model: 'cohere/rerank-v3.5', query: 'capital of France?', documents: ['Paris', 'Berlin'] };

/**
 * One valid request per client route, in the order they run (ids flow from creation to use); `null`: a route
 * documented as not metered (docs/plugins.md: the model list runs only auth and modelAccess/modelListing).
 */
const REQUESTS: Array<[route: string, expect: Expect | null, send: (c: Call) => Promise<number>]> = [
  [
    'POST /v1/chat/completions',
    chat,
    (c) => statusOf(c.openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages })),
  ],
  [
    'POST /v1/embeddings',
    op('embeddings'),
    (c) => statusOf(c.openai.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hi' })),
  ],
  [
    'POST /v1/completions',
    completions,
    (c) => statusOf(c.openai.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'hi' })),
  ],
  [
    'POST /v1/moderations',
    op('moderations'),
    (c) => statusOf(c.openai.moderations.create({ model: 'openai/omni-moderation-latest', input: 'hi' })),
  ],
  [
    'POST /v1/images/generations',
    op('images'),
    (c) => statusOf(c.openai.images.generate({ model: 'openai/dall-e-3', prompt: 'a lighthouse', size: '1024x1024' })),
  ],
  [
    'POST /v1/images/edits',
    op('image_edits'),
    async (c) =>
      statusOf(c.openai.images.edit({ model: 'openai/dall-e-2', image: await pngFile(), prompt: 'add a boat' })),
  ],
  [
    'POST /v1/images/variations',
    op('image_variations'),
    async (c) => statusOf(c.openai.images.createVariation({ model: 'openai/dall-e-2', image: await pngFile() })),
  ],
  [
    'POST /v1/audio/speech',
    op('speech'),
    (c) => statusOf(c.openai.audio.speech.create({ model: 'openai/tts-1', input: 'hello', voice: 'alloy' })),
  ],
  [
    'POST /v1/audio/transcriptions',
    op('transcriptions'),
    async (c) => statusOf(c.openai.audio.transcriptions.create({ model: 'openai/whisper-1', file: await wavFile() })),
  ],
  [
    'POST /v1/audio/translations',
    op('translations'),
    async (c) => statusOf(c.openai.audio.translations.create({ model: 'openai/whisper-1', file: await wavFile() })),
  ],
  ['POST /v1/rerank', rerank, (c) => raw(c, 'POST', '/v1/rerank', { json: RERANK })],
  ['POST /v2/rerank', rerank, (c) => raw(c, 'POST', '/v2/rerank', { json: RERANK })],
  ['GET /v1/models', null, (c) => statusOf(c.openai.models.list())],
  ['GET /v1/models/*id', null, (c) => statusOf(c.openai.models.retrieve('openai/gpt-4o-mini'))],
  [
    'POST /v1/responses',
    responses,
    (c) => statusOf(c.openai.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi' })),
  ],
  [
    'ALL /passthrough/:provider/*path',
    forwarded('passthrough'),
    (c) => raw(c, 'POST', '/passthrough/openai/chat/completions', { json: { model: 'gpt-4o-mini', messages } }),
  ],
  [
    'POST /v1/files',
    forwarded('files'),
    async (c) => {
      const { data, response } = await c.openai.files
        .create({ file: await toFile(Buffer.from(jsonl), 'batch.jsonl'), purpose: 'batch' })
        .withResponse();
      made.file = data.id;
      return response.status;
    },
  ],
  ['GET /v1/files', forwarded('files'), (c) => statusOf(c.openai.files.list())],
  ['GET /v1/files/:id', forwarded('files'), (c) => statusOf(c.openai.files.retrieve(made.file))],
  ['GET /v1/files/:id/content', forwarded('files'), (c) => statusOf(c.openai.files.content(made.file))],
  [
    'POST /v1/batches',
    forwarded('batches'),
    async (c) => {
      const { data, response } = await c.openai.batches
        .create({ input_file_id: made.file, endpoint: '/v1/chat/completions', completion_window: '24h' })
        .withResponse();
      made.batch = data.id;
      return response.status;
    },
  ],
  ['GET /v1/batches', forwarded('batches'), (c) => statusOf(c.openai.batches.list())],
  ['GET /v1/batches/:id', forwarded('batches'), (c) => statusOf(c.openai.batches.retrieve(made.batch))],
  ['POST /v1/batches/:id/cancel', forwarded('batches'), (c) => statusOf(c.openai.batches.cancel(made.batch))],
  ['DELETE /v1/files/:id', forwarded('files'), (c) => statusOf(c.openai.files.delete(made.file))],
  [
    'POST /v1/messages',
    messagesApi,
    (c) => statusOf(c.anthropic.messages.create({ model: 'anthropic/claude-haiku-4-5', max_tokens: 16, messages })),
  ],
  [
    'POST /v1/messages/count_tokens',
    countTokens,
    (c) => statusOf(c.anthropic.messages.countTokens({ model: 'anthropic/claude-haiku-4-5', messages })),
  ],
  [
    'POST /v1/messages/batches',
    forwarded('batches'),
    async (c) => {
      const params = { model: 'claude-haiku-4-5', max_tokens: 16, messages };
      const { data, response } = await c.anthropic.messages.batches
        .create({ requests: [{ custom_id: 'q1', params }] })
        .withResponse();
      made.messageBatch = data.id;
      return response.status;
    },
  ],
  ['GET /v1/messages/batches', forwarded('batches'), (c) => statusOf(c.anthropic.messages.batches.list())],
  [
    'GET /v1/messages/batches/:id',
    forwarded('batches'),
    (c) => statusOf(c.anthropic.messages.batches.retrieve(made.messageBatch)),
  ],
  [
    // fetch: the SDK's results() retrieves the batch first, two requests under one request id
    'GET /v1/messages/batches/:id/results',
    forwarded('batches'),
    (c) => raw(c, 'GET', `/v1/messages/batches/${made.messageBatch}/results`, { anthropic: true }),
  ],
  [
    'POST /v1/messages/batches/:id/cancel',
    forwarded('batches'),
    (c) => statusOf(c.anthropic.messages.batches.cancel(made.messageBatch)),
  ],
  [
    'DELETE /v1/messages/batches/:id',
    forwarded('batches'),
    (c) => statusOf(c.anthropic.messages.batches.delete(made.messageBatch)),
  ],
];

let env: MeterEnv;
/** Every request sent, by request id: how many meter records it must have once the gateway stopped. */
const sent = new Map<string, { label: string; records: 0 | 1 }>();
let seq = 0;

function call(): Call {
  const id = `route-meter-${++seq}`;
  const options = { apiKey: KEY, maxRetries: 0, timeout: 60_000, defaultHeaders: { 'x-request-id': id } };
  return {
    id,
    url: env.t.url,
    openai: new OpenAI({ ...options, baseURL: `${env.t.url}/v1` }),
    anthropic: new Anthropic({ ...options, baseURL: env.t.url }),
  };
}

/** The request's first record, once it arrived, checked against what the route meters. */
async function metered(label: string, id: string, status: number, expect: Expect): Promise<UsageRecord> {
  sent.set(id, { label, records: 1 });
  const r = await env.record(id, label);
  assert.equal(r.operation, expect.operation, `${label}: operation`);
  assert.equal(r.dialect, expect.dialect, `${label}: dialect`);
  assert.equal(r.status, status, `${label}: the record has the answer's status`);
  assert.equal(r.principalId, KEY_ID, `${label}: the key's id`);
  return r;
}

before(async () => {
  env = await startMeterEnv();
});

after(async () => {
  await env?.close();
});

test('every mounted route serving client requests has a request here; the others are excluded by rule', (t) => {
  const routes = mountedRoutes(env);
  const rows = new Set(REQUESTS.map(([route]) => route));
  const client = routes.filter((r) => !excludedBecause(r)).map((r) => r.id);
  const missing = client.filter((id) => !rows.has(id));
  assert.deepEqual(missing, [], 'client routes without a request in REQUESTS (add a row)');
  assert.deepEqual(
    [...rows].filter((id) => !client.includes(id)),
    [],
    'rows for routes that are not mounted',
  );
  for (const r of routes.filter((x) => excludedBecause(x))) t.diagnostic(`excluded: ${r.id} (${excludedBecause(r)})`);
  // gateway.routes lists the ingress plugins' routes as key-authenticated; each has its row.
  for (const r of env.t.gw.routes.filter((x) => x.ingress)) {
    for (const m of r.methods) assert.ok(rows.has(`${m} ${String(r.path)}`), `${m} ${String(r.path)} has a row`);
  }
});

test('one valid request per client route: one meter record with its operation, status and key', async () => {
  for (const [route, expect, send] of REQUESTS) {
    const c = call();
    const status = await send(c);
    assert.ok(status >= 200 && status < 300, `${route} answered ${status}`);
    if (expect) await metered(route, c.id, status, expect);
    else sent.set(c.id, { label: route, records: 0 });
  }
});

/** A JSON body that does not parse, at every JSON route (multipart routes answer 415, metered: see REFUSALS). */
const BAD_JSON: Array<[path: string, expect: Expect | null]> = [
  ['/v1/chat/completions', null],
  ['/v1/embeddings', null],
  ['/v1/completions', null],
  ['/v1/moderations', null],
  ['/v1/images/generations', null],
  ['/v1/audio/speech', null],
  ['/v1/rerank', null],
  ['/v2/rerank', null],
  ['/v1/responses', null],
  ['/passthrough/openai/chat/completions', null],
  ['/v1/batches', null],
  ['/v1/messages', null],
  ['/v1/messages/count_tokens', null],
  ['/v1/messages/batches', null],
  ['/v1/files', forwarded('files')], // an upload is admitted (and metered) before its body is read
];

test('bad JSON: 400 invalid_json; metered only where the context exists before the body (documented)', async () => {
  for (const [path, expect] of BAD_JSON) {
    const c = call();
    const res = await fetch(c.url + path, {
      method: 'POST',
      headers: { ...headers(c, path.startsWith('/v1/messages')), 'content-type': 'application/json' },
      body: '{"model": "gpt-4o-mini", "messages": [',
    });
    const text = await res.text();
    assert.equal(res.status, 400, `${path}: ${text}`);
    assert.match(text, /invalid_json|could not parse/, path);
    if (expect) await metered(`POST ${path} (bad JSON)`, c.id, 400, expect);
    else sent.set(c.id, { label: `POST ${path} (bad JSON)`, records: 0 });
  }
});

const UNKNOWN = 'no-such-model'; // no provider prefix: routing finds no target

/** A multipart form with an unknown model and a tiny file. */
function form(file: 'image' | 'file', extra: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.append('model', UNKNOWN);
  for (const [k, v] of Object.entries(extra)) f.append(k, v);
  const bytes = file === 'image' ? png(16) : wav(1);
  f.append(file, new Blob([new Uint8Array(bytes)]), file === 'image' ? 'tiny.png' : 'tiny.wav');
  return f;
}

interface Refusal {
  label: string;
  method: string;
  path: string;
  status: number;
  expect: Expect;
  body?: unknown;
  headers?: Record<string, string>;
  anthropic?: boolean;
}

/** A refusal: `route` is "METHOD path". */
const refusal = (
  label: string,
  route: string,
  status: number,
  expect: Expect,
  body?: unknown,
  more: Pick<Refusal, 'headers' | 'anthropic'> = {},
): Refusal => {
  const [method, path] = route.split(' ');
  return { label, method, path, status, expect, body, ...more };
};

const unknownChat = { model: UNKNOWN, max_tokens: 16, messages };
const anthropicDialect = { anthropic: true };
const batch = { input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' };

/** An unknown model at every model route; an unknown provider, path, file or batch at the forwarded ones. */
const REFUSALS: Refusal[] = [
  refusal('chat', 'POST /v1/chat/completions', 404, chat, { model: UNKNOWN, messages }),
  refusal('embeddings', 'POST /v1/embeddings', 404, op('embeddings'), { model: UNKNOWN, input: 'hi' }),
  refusal('completions', 'POST /v1/completions', 404, completions, { model: UNKNOWN, prompt: 'hi' }),
  refusal('moderations', 'POST /v1/moderations', 404, op('moderations'), { model: UNKNOWN, input: 'hi' }),
  refusal('images', 'POST /v1/images/generations', 404, op('images'), { model: UNKNOWN, prompt: 'a cat' }),
  refusal('image edits', 'POST /v1/images/edits', 404, op('image_edits'), form('image', { prompt: 'x' })),
  refusal('image variations', 'POST /v1/images/variations', 404, op('image_variations'), form('image')),
  refusal('speech', 'POST /v1/audio/speech', 404, op('speech'), { model: UNKNOWN, input: 'hi', voice: 'alloy' }),
  refusal('transcriptions', 'POST /v1/audio/transcriptions', 404, op('transcriptions'), form('file')),
  refusal('translations', 'POST /v1/audio/translations', 404, op('translations'), form('file')),
  refusal('rerank', 'POST /v1/rerank', 404, rerank, { ...RERANK, model: UNKNOWN }),
  refusal('rerank v2', 'POST /v2/rerank', 404, rerank, { ...RERANK, model: UNKNOWN }),
  refusal('responses', 'POST /v1/responses', 404, responses, { model: UNKNOWN, input: 'hi' }),
  refusal('messages', 'POST /v1/messages', 404, messagesApi, unknownChat, anthropicDialect),
  refusal('count_tokens', 'POST /v1/messages/count_tokens', 404, countTokens, unknownChat, anthropicDialect),
  refusal('passthrough: unknown provider', 'POST /passthrough/nope/chat/completions', 400, forwarded('passthrough'), {
    model: 'x',
    messages,
  }),
  refusal('passthrough: a path it refuses', 'GET /passthrough/openai/files', 403, forwarded('passthrough')),
  refusal('files: unknown provider', 'GET /v1/files', 400, forwarded('files'), undefined, {
    headers: { 'x-switchyard-provider': 'nope' },
  }),
  refusal('files: unknown id', 'GET /v1/files/file-nope', 404, forwarded('files')),
  refusal('batches: unknown file', 'POST /v1/batches', 404, forwarded('batches'), batch),
  refusal(
    'message batches: unknown provider',
    'POST /v1/messages/batches',
    400,
    forwarded('batches'),
    { requests: [{ custom_id: 'a', params: { model: 'claude-x', max_tokens: 8, messages } }] },
    { ...anthropicDialect, headers: { 'x-switchyard-provider': 'nope' } },
  ),
  refusal(
    'message batches: unknown id',
    'GET /v1/messages/batches/msgbatch_nope',
    404,
    forwarded('batches'),
    undefined,
    anthropicDialect,
  ),
];

test('refusals are metered with their error status: unknown models, providers, paths and ids', async () => {
  for (const r of REFUSALS) {
    const c = call();
    const json = r.body !== undefined && !(r.body instanceof FormData);
    const res = await fetch(c.url + r.path, {
      method: r.method,
      headers: { ...headers(c, r.anthropic), ...(json ? { 'content-type': 'application/json' } : {}), ...r.headers },
      body: r.body === undefined ? undefined : json ? JSON.stringify(r.body) : (r.body as FormData),
    });
    const text = await res.text();
    assert.equal(res.status, r.status, `${r.label}: ${text}`);
    await metered(r.label, c.id, r.status, r.expect);
  }
});

test('a forwarded refusal is authenticated first: no key, 401 (not which providers exist), metered', async () => {
  for (const path of ['/passthrough/nope/x', '/passthrough/openai/files']) {
    const c = call();
    const res = await fetch(c.url + path, { headers: { 'x-request-id': c.id } });
    assert.equal(res.status, 401, `${path}: ${await res.text()}`);
    sent.set(c.id, { label: `${path} without a key`, records: 1 });
    const r = await env.record(c.id, path);
    assert.equal(r.status, 401);
    assert.equal(r.errorCode, 'missing_api_key');
    assert.equal(r.principalId, undefined);
  }
});

test('once the gateway stopped (every meter tap done): exactly one record per metered request, none else', async () => {
  await env.t.close(); // waits for every handler and meter tap
  for (const [id, { label, records }] of sent) {
    const n = env.records.filter((r) => r.requestId === id).length;
    assert.equal(n, records, `${label}: ${n} meter records`);
  }
  const expected = [...sent.values()].filter((s) => s.records === 1).length;
  assert.equal(env.records.length, expected, 'no record of any other request');
});
