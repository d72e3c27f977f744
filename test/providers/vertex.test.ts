import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway } from '../../index.js';
import { vertex } from '../../plugins/providers/gemini/index.js';
import { startGeminiEmulator, type GeminiEmulator } from '../emulators/gemini.js';

let emu: GeminiEmulator;
let gw: Awaited<ReturnType<typeof createGateway>>;
let client: OpenAI;
let dir: string;

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function keyFile(tokenUri: string, email = 'switchyard@proj-sa.iam.gserviceaccount.com', pem = privatePem) {
  return {
    type: 'service_account',
    project_id: 'proj-sa',
    private_key_id: 'kid-123',
    private_key: pem,
    client_email: email,
    client_id: '1',
    token_uri: tokenUri,
  };
}

before(async () => {
  emu = await startGeminiEmulator();
  emu.trustKey(
    'switchyard@proj-sa.iam.gserviceaccount.com',
    keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  emu.trustKey('file@proj-file.iam.gserviceaccount.com', keys.publicKey);
  dir = mkdtempSync(join(tmpdir(), 'vertex-test-'));
  const path = join(dir, 'key.json');
  writeFileSync(
    path,
    JSON.stringify({
      ...keyFile(emu.url + '/token', 'file@proj-file.iam.gserviceaccount.com'),
      project_id: 'proj-file',
    }),
  );
  const savedEnv = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GOOGLE_APPLICATION_CREDENTIALS = path;
  try {
    gw = await createGateway({
      providers: [
        vertex({ accessToken: 'test-token', project: 'proj-1', location: 'europe-west4', baseURL: emu.url }),
        vertex({ name: 'vertex-sa', serviceAccount: keyFile(emu.url + '/token'), baseURL: emu.url }),
        vertex({ name: 'vertex-file', baseURL: emu.url, location: 'global' }),
        vertex({
          name: 'vertex-rogue',
          serviceAccount: keyFile(
            emu.url + '/token',
            'switchyard@proj-sa.iam.gserviceaccount.com',
            rogue.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          ),
          baseURL: emu.url,
        }),
        vertex({ name: 'vertex-badtoken', accessToken: 'expired', project: 'proj-1', baseURL: emu.url }),
      ],
      logging: { level: 'silent' },
      failover: false,
    });
  } finally {
    if (savedEnv === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = savedEnv;
  }
  const { url } = await gw.listen({ port: 0 });
  client = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await gw.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const last = () => emu.requests[emu.requests.length - 1];
const modelPath = (project: string, location: string, model: string, method: string) =>
  `/v1/projects/${project}/locations/${location}/publishers/google/models/${model}:${method}`;

test('access-token auth: URL layout, bearer header, translated body', async () => {
  const r = await client.chat.completions.create({
    model: 'vertex/gemini-2.5-flash',
    messages: [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'echo: from vertex' },
    ],
    temperature: 0,
  });
  assert.equal(r.choices[0].message.content, 'from vertex');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage!.prompt_tokens > 0);
  assert.equal(r.usage!.completion_tokens, 2);
  const req = last();
  assert.equal(req.path, modelPath('proj-1', 'europe-west4', 'gemini-2.5-flash', 'generateContent'));
  assert.equal(req.headers.authorization, 'Bearer test-token');
  assert.equal(req.headers['x-goog-api-key'], undefined);
  assert.deepEqual(req.body, {
    contents: [{ role: 'user', parts: [{ text: 'echo: from vertex' }] }],
    systemInstruction: { parts: [{ text: 'Be terse.' }] },
    generationConfig: { temperature: 0 },
  });
});

test('service-account auth: signed JWT exchanged once, token cached and used', async () => {
  const before = emu.requests.filter((r) => r.path === '/token').length;
  const a = await client.chat.completions.create({
    model: 'vertex-sa/gemini-2.5-pro',
    messages: [{ role: 'user', content: 'echo: one' }],
  });
  const b = await client.chat.completions.create({
    model: 'vertex-sa/gemini-2.5-pro',
    messages: [{ role: 'user', content: 'echo: two' }],
  });
  assert.equal(a.choices[0].message.content, 'one');
  assert.equal(b.choices[0].message.content, 'two');
  const tokenReqs = emu.requests.filter((r) => r.path === '/token');
  assert.equal(tokenReqs.length - before, 1);
  const t = tokenReqs.at(-1)!;
  assert.equal(t.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(t.body.grant_type, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
  const [h, c] = t.body.assertion.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
  assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: 'kid-123' });
  assert.equal(claims.iss, 'switchyard@proj-sa.iam.gserviceaccount.com');
  assert.equal(claims.aud, emu.url + '/token');
  assert.equal(claims.scope, 'https://www.googleapis.com/auth/cloud-platform');
  assert.equal(claims.exp - claims.iat, 3600);
  const token = emu.issuedTokens.at(-1)!;
  const calls = emu.requests
    .filter((r) => r.path === modelPath('proj-sa', 'us-central1', 'gemini-2.5-pro', 'generateContent'))
    .slice(-2);
  assert.equal(calls.length, 2);
  for (const call of calls) assert.equal(call.headers.authorization, `Bearer ${token}`);
});

test('service account from GOOGLE_APPLICATION_CREDENTIALS file; project from the key; global location', async () => {
  const r = await client.chat.completions.create({
    model: 'vertex-file/gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: file key' }],
  });
  assert.equal(r.choices[0].message.content, 'file key');
  assert.equal(last().path, modelPath('proj-file', 'global', 'gemini-2.5-flash', 'generateContent'));
  assert.match(String(last().headers.authorization), /^Bearer ya29\.emu-/);
});

test('a key the token endpoint rejects (bad JWT signature) -> 401 upstream_auth_failed', async () => {
  const err: any = await client.chat.completions
    .create({ model: 'vertex-rogue/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] })
    .catch((e) => e);
  assert.equal(err.status, 401);
  assert.equal(err.code, 'upstream_auth_failed');
  assert.equal(err.type, 'authentication_error');
  assert.match(err.message, /invalid_grant: Invalid JWT Signature/);
});

test('an access token Vertex refuses -> 401 unauthenticated', async () => {
  const err: any = await client.chat.completions
    .create({ model: 'vertex-badtoken/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] })
    .catch((e) => e);
  assert.equal(err.status, 401);
  assert.equal(err.code, 'unauthenticated');
  assert.match(err.message, /invalid authentication credentials/);
});

test('streaming on Vertex with usage and tools', async () => {
  const stream = await client.chat.completions.create({
    model: 'vertex-sa/gemini-2.5-flash',
    messages: [{ role: 'user', content: 'echo: streamed on vertex' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'streamed on vertex');
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
  assert.equal(chunks.at(-1)!.usage!.completion_tokens, 3);
  assert.equal(
    last().path,
    modelPath('proj-sa', 'us-central1', 'gemini-2.5-flash', 'streamGenerateContent') + '?alt=sse',
  );

  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'lookup',
        parameters: {
          type: 'object',
          properties: { q: { type: 'string' } },
          required: ['q'],
          additionalProperties: false,
        },
      },
    },
  ];
  const done = await client.chat.completions
    .stream({ model: 'vertex/gemini-2.5-flash', messages: [{ role: 'user', content: 'lookup it' }], tools })
    .finalChatCompletion();
  const call = done.choices[0].message.tool_calls![0] as any;
  assert.equal(call.function.name, 'lookup');
  assert.deepEqual(JSON.parse(call.function.arguments), { q: 'mock' });
  assert.equal(done.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(last().body.tools[0].functionDeclarations[0].parameters, {
    type: 'object',
    properties: { q: { type: 'string' } },
    required: ['q'],
  });
});

test('embeddings via :predict with token statistics', async () => {
  const r = await client.embeddings.create({
    model: 'vertex/text-embedding-005',
    input: ['hello vertex world', 'hi'],
    dimensions: 32,
  });
  assert.equal(r.data.length, 2);
  assert.equal(r.data[0].embedding.length, 32);
  assert.equal(r.usage.prompt_tokens, 3 + 1);
  assert.equal(last().path, modelPath('proj-1', 'europe-west4', 'text-embedding-005', 'predict'));
  assert.deepEqual(last().body, {
    instances: [{ content: 'hello vertex world' }, { content: 'hi' }],
    parameters: { outputDimensionality: 32 },
  });
});

for (const [model, status, code] of [
  ['error-400', 400, 'invalid_argument'],
  ['error-403', 403, 'permission_denied'],
  ['error-404', 404, 'not_found'],
  ['error-429', 429, 'resource_exhausted'],
  ['error-500', 500, 'internal'],
  ['overloaded', 503, 'unavailable'],
  ['context-too-long', 400, 'context_length_exceeded'],
] as const) {
  test(`vertex error ${model} -> ${status} ${code}`, async () => {
    const err: any = await client.chat.completions
      .create({ model: `vertex/${model}`, messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    if (status === 429) assert.equal(err.headers.get('retry-after'), '1');
  });
}

test('vertex mid-stream error and truncation throw in the SDK stream', async () => {
  for (const model of ['stream-error-midway', 'stream-truncated']) {
    const stream = await client.chat.completions.create({
      model: `vertex/${model}`,
      messages: [{ role: 'user', content: 'echo: a b c d' }],
      stream: true,
    });
    let text = '';
    await assert.rejects(
      async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      },
      (e: any) => {
        assert.match(e.message, model === 'stream-error-midway' ? /internal error/i : /ended unexpectedly/);
        return true;
      },
    );
    assert.equal(text, 'a b');
  }
});

test('vertex claims no bare model names; listed ones resolve', async () => {
  const err: any = await client.chat.completions
    .create({ model: 'gemini-9-ultra', messages: [{ role: 'user', content: 'x' }] })
    .catch((e) => e);
  assert.equal(err.status, 404);
  assert.equal(err.code, 'model_not_found');
});

test('boot errors: no credentials, no project', async () => {
  const saved = { ...process.env };
  for (const k of ['VERTEX_ACCESS_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS', 'VERTEX_PROJECT', 'GOOGLE_CLOUD_PROJECT'])
    delete process.env[k];
  try {
    await assert.rejects(
      createGateway({ providers: [vertex({ project: 'p' })], logging: { level: 'silent' } }),
      /VERTEX_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS/,
    );
    await assert.rejects(
      createGateway({ providers: [vertex({ accessToken: 't' })], logging: { level: 'silent' } }),
      /VERTEX_PROJECT or GOOGLE_CLOUD_PROJECT/,
    );
  } finally {
    Object.assign(process.env, saved);
  }
});

test('concurrent first requests share one token exchange', async () => {
  const gw2 = await createGateway({
    providers: [
      vertex({
        name: 'vertex-conc',
        serviceAccount: JSON.stringify(keyFile(emu.url + '/token')),
        baseURL: emu.url,
        project: 'proj-c',
      }),
    ],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await gw2.listen({ port: 0 });
  try {
    const c2 = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
    const before = emu.requests.filter((r) => r.path === '/token').length;
    const answers = await Promise.all(
      [1, 2, 3].map((i) =>
        c2.chat.completions.create({
          model: 'vertex-conc/gemini-2.5-flash',
          messages: [{ role: 'user', content: `echo: n${i}` }],
        }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.choices[0].message.content),
      ['n1', 'n2', 'n3'],
    );
    assert.equal(emu.requests.filter((r) => r.path === '/token').length - before, 1);
    assert.equal(emu.requests.filter((r) => r.path.startsWith('/v1/projects/proj-c/')).length, 3);
  } finally {
    await gw2.close();
  }
});
