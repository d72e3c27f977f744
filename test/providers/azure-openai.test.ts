/** Azure OpenAI through the gateway with the official openai client against an emulated Azure resource. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { createGateway } from '../../index.js';
import { azureOpenAI } from '../../plugins/providers/azure-openai/index.js';
import { AZURE_MODEL, startAzureOpenAIEmulator, type AzureOpenAIEmulator } from '../emulators/azure-openai.js';

type Gw = Awaited<ReturnType<typeof createGateway>>;
let emu: AzureOpenAIEmulator;
let gw: Gw;
let gwV1: Gw;
let client: OpenAI;
let clientV1: OpenAI;

before(async () => {
  emu = await startAzureOpenAIEmulator();
  gw = await createGateway({
    providers: [
      azureOpenAI({
        apiKey: 'test-key',
        endpoint: emu.url + '/',
        deployments: { 'gpt-4o': 'prod-4o', 'text-embedding-3-small': 'embed-small' },
      }),
    ],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await gw.listen({ port: 0 });
  client = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
  gwV1 = await createGateway({
    providers: [
      azureOpenAI({
        name: 'azure-v1',
        apiKey: 'test-key',
        endpoint: emu.url,
        useV1Api: true,
        deployments: { 'gpt-4.1': 'prod-41' },
      }),
    ],
    logging: { level: 'silent' },
    failover: false,
  });
  const v1 = await gwV1.listen({ port: 0 });
  clientV1 = new OpenAI({ baseURL: v1.url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await gw.close();
  await gwV1.close();
  await emu.close();
});

const last = () => emu.requests[emu.requests.length - 1];
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } } },
    },
  },
];

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

test('plain completion goes to the mapped deployment with api-key and api-version', async () => {
  const { data, response } = await client.chat.completions
    .create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'echo: hello azure' },
      ],
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'hello azure');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.model, AZURE_MODEL);
  assert.equal(data.usage?.completion_tokens, 2);
  assert.equal(data.usage?.total_tokens, (data.usage?.prompt_tokens ?? 0) + 2);
  assert.equal(data.usage?.prompt_tokens_details?.cached_tokens, 0);
  assert.equal(response.headers.get('x-switchyard-provider'), 'azure-openai');
  const up = last();
  assert.equal(up.path, '/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21');
  assert.equal(up.headers['api-key'], 'test-key');
  assert.equal(up.headers.authorization, undefined);
  assert.equal(up.body.model, 'prod-4o');
  assert.deepEqual(up.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'echo: hello azure' },
  ]);
  assert.equal(up.body.stream, undefined);
});

test('a model without a mapping is used as the deployment name; multi-turn is forwarded', async () => {
  const res = await client.chat.completions.create({
    model: 'azure-openai/my-deploy',
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'echo: again' },
    ],
  });
  assert.equal(res.choices[0].message.content, 'again');
  assert.equal(last().path, '/openai/deployments/my-deploy/chat/completions?api-version=2024-10-21');
  assert.equal(last().body.messages.length, 3);
  assert.equal(last().body.messages[1].content, 'hello');
});

test(
  'streamed completion: filter-only events dropped, ' + 'role first, content assembled, no usage unless asked',
  async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'echo: one two three' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.ok(
      chunks.every((c) => c.id && c.id.startsWith('chatcmpl-') && c.model === AZURE_MODEL),
      'no empty-id prompt_filter_results event',
    );
    assert.ok(
      chunks.every((c) => c.choices.length === 1),
      'no empty choices',
    );
    assert.equal(chunks.map((c) => c.choices[0].delta.content ?? '').join(''), 'one two three');
    assert.equal(chunks.filter((c) => c.choices[0].finish_reason).length, 1);
    assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'stop');
    assert.ok(chunks.every((c) => !c.usage));
    // 1 role chunk + 3 words + finish: the async-filter annotation event is gone.
    assert.equal(chunks.length, 5);
    assert.equal(last().body.stream, true);
    assert.deepEqual(last().body.stream_options, { include_usage: true });
  },
);

test('stream_options.include_usage gets the usage chunk', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'echo: a b' }],
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  const u = chunks[chunks.length - 1];
  assert.deepEqual(u.choices, []);
  assert.equal(u.usage?.completion_tokens, 2);
  assert.ok((u.usage?.prompt_tokens ?? 0) > 0);
  assert.equal(u.usage?.total_tokens, (u.usage?.prompt_tokens ?? 0) + 2);
});

test('tools: single call, parallel calls, named tool_choice', async () => {
  const one = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [tools[0]],
  });
  assert.equal(one.choices[0].finish_reason, 'tool_calls');
  const tc = one.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
  assert.equal(tc.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(tc.function.arguments), { city: 'mock' });
  assert.deepEqual(last().body.tools, [tools[0]]);

  const both = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools,
  });
  assert.deepEqual(
    both.choices[0].message.tool_calls!.map((t) => (t as OpenAI.ChatCompletionMessageFunctionToolCall).function.name),
    ['get_weather', 'get_time'],
  );

  const named = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'anything' }],
    tools,
    tool_choice: { type: 'function', function: { name: 'get_time' } },
  });
  assert.equal(
    (named.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.name,
    'get_time',
  );
  assert.deepEqual(last().body.tool_choice, { type: 'function', function: { name: 'get_time' } });
});

test('streamed parallel tool calls assemble with their indexes', async () => {
  const runner = client.chat.completions.stream({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'use get_weather and get_time' }],
    tools,
  });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(
    calls.map((c) => c.function.name),
    ['get_weather', 'get_time'],
  );
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { zone: 'UTC' });
  assert.match(calls[0].id, /^call_mock/);
});

test('tool results in a follow-up turn are forwarded', async () => {
  const res = await client.chat.completions.create({
    model: 'gpt-4o',
    tools,
    messages: [
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 degrees' },
    ],
  });
  assert.match(res.choices[0].message.content ?? '', /^Based on the tool result/);
  const m = last().body.messages;
  assert.equal(m[1].tool_calls[0].id, 'call_1');
  assert.deepEqual(m[2], { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 degrees' });
});

test('images (URL and base64) pass through', async () => {
  const parts: OpenAI.ChatCompletionContentPart[] = [
    { type: 'text', text: 'what is this?' },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
  ];
  const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: parts }] });
  assert.match(res.choices[0].message.content ?? '', /^I see 2 images/);
  assert.deepEqual(last().body.messages[0].content, parts);
});

test('JSON mode, stop sequences and max_tokens (finish_reason length)', async () => {
  const json = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'echo: data' }],
    response_format: { type: 'json_object' },
    stop: ['END'],
    seed: 7,
  });
  assert.deepEqual(JSON.parse(json.choices[0].message.content ?? ''), { reply: 'data' });
  assert.deepEqual(last().body.response_format, { type: 'json_object' });
  assert.deepEqual(last().body.stop, ['END']);
  assert.equal(last().body.seed, 7);
  const cut = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'echo: a b c d e f' }],
    max_tokens: 3,
  });
  assert.equal(cut.choices[0].finish_reason, 'length');
  assert.equal(cut.choices[0].message.content, 'a b c');
  assert.equal(last().body.max_tokens, 3);
});

test('output content filter: finish_reason content_filter, plain and streamed', async () => {
  const res = await client.chat.completions.create({
    model: 'azure-openai/content-filter',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(res.choices[0].finish_reason, 'content_filter');
  assert.equal(res.choices[0].message.content, null);
  const stream = await client.chat.completions.create({
    model: 'azure-openai/content-filter',
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'content_filter');
});

test('prompt content filter: 400 with code content_filter', async () => {
  const e = await apiError(
    client.chat.completions.create({
      model: 'azure-openai/content-filter-prompt',
      messages: [{ role: 'user', content: 'hi' }],
    }),
  );
  assert.equal(e.status, 400);
  assert.equal(e.code, 'content_filter');
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.param, 'prompt');
  assert.match(e.message, /content management policy/);
});

test('error classes keep status and map Azure codes to OpenAI codes', async () => {
  const cases: Array<[string, number, string | null, string]> = [
    ['error-400', 400, null, 'invalid_request_error'],
    ['error-401', 401, 'invalid_api_key', 'authentication_error'],
    ['error-403', 403, 'permission_denied', 'permission_error'],
    ['error-404', 404, 'model_not_found', 'invalid_request_error'],
    ['error-500', 500, null, 'server_error'],
    ['error-503', 503, 'service_unavailable', 'api_error'],
    ['overloaded', 503, 'service_unavailable', 'api_error'],
    ['context-too-long', 400, 'context_length_exceeded', 'invalid_request_error'],
  ];
  for (const [model, status, code, type] of cases) {
    const e = await apiError(
      client.chat.completions.create({ model: `azure-openai/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.equal(e.status, status, model);
    assert.equal(e.code, code, model);
    assert.equal(e.type, type, model);
  }
});

test('429 keeps retry-after and maps to rate_limit_exceeded', async () => {
  const e = await apiError(
    client.chat.completions.create({ model: 'azure-openai/error-429', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 429);
  assert.equal(e.code, 'rate_limit_exceeded');
  assert.equal(e.type, 'rate_limit_error');
  assert.equal(e.headers?.get('retry-after'), '1');
  assert.equal(e.headers?.get('x-ratelimit-remaining-requests'), '0');
  assert.match(e.message, /exceeded token rate limit/);
});

test('an error status on a stream request is an error before any chunk', async () => {
  const e = await apiError(
    client.chat.completions.create({
      model: 'azure-openai/error-429',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  );
  assert.equal(e.status, 429);
});

test('mid-stream error and truncation surface as errors in the SDK stream', async () => {
  for (const model of ['stream-error-midway', 'stream-truncated']) {
    const stream = await client.chat.completions.create({
      model: `azure-openai/${model}`,
      stream: true,
      messages: [{ role: 'user', content: 'echo: a b c d' }],
    });
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
      },
      (err: Error) => {
        assert.match(err.message, model === 'stream-truncated' ? /ended unexpectedly/ : /error while processing/);
        return true;
      },
    );
    assert.equal(seen.join(''), 'a', model);
  }
});

test('embeddings go to the mapped deployment', async () => {
  const res = await client.embeddings.create({
    model: 'text-embedding-3-small',
    input: ['hello world', 'bye'],
    dimensions: 8,
    encoding_format: 'float',
  });
  assert.equal(res.data.length, 2);
  assert.equal(res.data[1].index, 1);
  assert.equal(res.data[0].embedding.length, 8);
  assert.equal(res.usage.prompt_tokens, 6);
  assert.equal(last().path, '/openai/deployments/embed-small/embeddings?api-version=2024-10-21');
  assert.deepEqual(last().body.input, ['hello world', 'bye']);
  assert.equal(last().body.model, 'embed-small');
});

test('v1 API mode: /openai/v1 path, model = deployment, no api-version', async () => {
  const res = await clientV1.chat.completions.create({
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: 'echo: via v1' }],
  });
  assert.equal(res.choices[0].message.content, 'via v1');
  assert.equal(last().path, '/openai/v1/chat/completions');
  assert.equal(last().body.model, 'prod-41');
  assert.equal(last().headers['api-key'], 'test-key');
  const stream = await clientV1.chat.completions.create({
    model: 'gpt-4.1',
    stream: true,
    messages: [{ role: 'user', content: 'echo: x y' }],
  });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  assert.equal(text, 'x y');
  const e = await apiError(
    clientV1.chat.completions.create({ model: 'azure-v1/error-401', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 401);
  assert.equal(e.code, 'invalid_api_key');
});

test('configuration: env variables, api version, missing key and endpoint', async () => {
  const saved = { ...process.env };
  try {
    process.env.AZURE_OPENAI_API_KEY = 'test-key';
    process.env.AZURE_OPENAI_ENDPOINT = emu.url + '/openai';
    process.env.OPENAI_API_VERSION = '2025-04-01-preview';
    const g = await createGateway({ providers: [azureOpenAI()], logging: { level: 'silent' }, failover: false });
    const { url } = await g.listen({ port: 0 });
    const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
    const res = await c.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'echo: env' }],
    });
    assert.equal(res.choices[0].message.content, 'env');
    assert.equal(last().path, '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-04-01-preview');
    await g.close();

    delete process.env.AZURE_OPENAI_API_KEY;
    await assert.rejects(
      createGateway({ providers: [azureOpenAI()], logging: { level: 'silent' } }),
      /AZURE_OPENAI_API_KEY/,
    );
    delete process.env.AZURE_OPENAI_ENDPOINT;
    await assert.rejects(
      createGateway({ providers: [azureOpenAI({ apiKey: 'k' })], logging: { level: 'silent' } }),
      /AZURE_OPENAI_ENDPOINT/,
    );
  } finally {
    process.env = saved;
  }
});

test('a slow upstream past timeoutMs is a 504', async () => {
  const g = await createGateway({
    providers: [azureOpenAI({ apiKey: 'test-key', endpoint: emu.url, timeoutMs: 300 })],
    logging: { level: 'silent' },
    failover: false,
  });
  const { url } = await g.listen({ port: 0 });
  const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'unused', maxRetries: 0 });
  const e = await apiError(
    c.chat.completions.create({ model: 'azure-openai/slow', messages: [{ role: 'user', content: 'hi' }] }),
  );
  assert.equal(e.status, 504);
  assert.equal(e.code, 'upstream_timeout');
  await g.close();
});

test('leaving a stream early closes the upstream connection', async () => {
  const stream = await client.chat.completions.create({
    model: 'azure-openai/slow-stream',
    stream: true,
    messages: [{ role: 'user', content: 'echo: w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12' }],
  });
  for await (const c of stream) {
    if (c.choices[0]?.delta.content) break;
  }
  const rec = last();
  const end = Date.now() + 2000;
  while (!emu.aborted.includes(rec) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.ok(emu.aborted.includes(rec), 'the emulator saw the connection close before it finished');
});

test('adapter: return() on the chunk iterator destroys the upstream body', async () => {
  const { UpstreamClient } = await import('../../core/upstream.js');
  const { AzureOpenAIAdapter } = await import('../../plugins/providers/azure-openai/adapter.js');
  const http = new UpstreamClient();
  const adapter = new AzureOpenAIAdapter(
    {
      name: 'azure-openai',
      endpoint: emu.url,
      apiKey: 'test-key',
      apiVersion: '2024-10-21',
      deployments: {},
      useV1Api: false,
    },
    http,
  );
  const ctrl = new AbortController();
  const call = {
    target: { provider: 'azure-openai', model: 'slow-stream' },
    signal: ctrl.signal,
    ctx: { responseHeaders: {} },
  } as unknown as Parameters<typeof adapter.chatStream>[1];
  const it = (
    await adapter.chatStream(
      { model: 'slow-stream', messages: [{ role: 'user', content: 'echo: a b c d e f g h' }] },
      call,
    )
  )[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.value?.choices[0].delta.role, 'assistant');
  await it.return?.();
  const rec = last();
  const end = Date.now() + 2000;
  while (!emu.aborted.includes(rec) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.ok(emu.aborted.includes(rec));
  assert.equal(ctrl.signal.aborted, false, 'closed by return(), not by an abort');
  await http.close();
});
