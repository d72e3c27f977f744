/** Chat completions through the gateway with the official openai client against an emulated OpenAI. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openai } from '../../../index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../emulators/openai.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

let emu: OpenAIEmulator;
let t: TestGateway;

before(async () => {
  emu = await startOpenAIEmulator();
  t = await startGateway({ providers: [openai({ apiKey: 'test-key', baseURL: emu.url })], failover: false });
});
after(async () => {
  await t.close();
  await emu.close();
});

const lastUpstream = () => emu.requests[emu.requests.length - 1];

test('plain completion: answer, usage and routing headers', async () => {
  const { data, response } = await t.client.chat.completions
    .create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'echo: hello world' },
      ],
    })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'hello world');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.usage?.completion_tokens, 2);
  assert.ok((data.usage?.prompt_tokens ?? 0) > 0);
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  assert.equal(response.headers.get('x-switchyard-model'), 'gpt-4o-mini');
  assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const up = lastUpstream();
  assert.equal(up.path, '/v1/chat/completions');
  assert.equal(up.headers.authorization, 'Bearer test-key');
  assert.equal(up.body.model, 'gpt-4o-mini');
  assert.equal(up.body.messages[0].content, 'Be brief.');
  assert.equal(up.body.stream, undefined);
});

test('"provider/model" names route to that provider with the bare model upstream', async () => {
  const res = await t.client.chat.completions.create({
    model: 'openai/gpt-4.1-nano',
    messages: [{ role: 'user', content: 'echo: x' }],
  });
  assert.equal(res.choices[0].message.content, 'x');
  assert.equal(lastUpstream().body.model, 'gpt-4.1-nano');
});

test('unknown fields pass through to OpenAI-compatible upstreams', async () => {
  await t.client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'echo: hi' }],
    // @ts-expect-error fields the SDK does not know are sent as given
    custom_vendor_flag: { deep: [1, 2] },
    logit_bias: { '50256': -100 },
  });
  assert.deepEqual(lastUpstream().body.custom_vendor_flag, { deep: [1, 2] });
  assert.deepEqual(lastUpstream().body.logit_bias, { '50256': -100 });
});

test('a client-supplied x-request-id is echoed back', async () => {
  const { response } = await t.client.chat.completions
    .create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'echo: a' }] },
      { headers: { 'x-request-id': 'my-trace-123' } },
    )
    .withResponse();
  assert.equal(response.headers.get('x-request-id'), 'my-trace-123');
});

test('streamed completion: role first, content assembles, finish reason, [DONE], no usage unless asked', async () => {
  const stream = await t.client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [{ role: 'user', content: 'echo: one two three' }],
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'one two three');
  assert.equal(chunks[chunks.length - 1].choices[0].finish_reason, 'stop');
  assert.ok(
    chunks.every((c) => !c.usage),
    'the usage chunk the client did not ask for is stripped',
  );
  // The gateway asked the upstream for usage anyway, to meter the stream.
  assert.deepEqual(lastUpstream().body.stream_options, { include_usage: true });
});

test('streamed completion with include_usage gets the usage chunk', async () => {
  const stream = await t.client.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'echo: a b' }],
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage?.completion_tokens, 2);
});

const weatherTools = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
        required: ['city'],
      },
    },
  },
  {
    type: 'function' as const,
    function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } },
  },
];

test('tool calls: plain response carries tool_calls and finish_reason tool_calls', async () => {
  const res = await t.client.chat.completions.create({
    model: 'gpt-4o',
    tools: weatherTools,
    messages: [{ role: 'user', content: 'use get_weather please' }],
  });
  const call = res.choices[0].message.tool_calls?.[0];
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  assert.equal(call?.type, 'function');
  assert.equal(call?.type === 'function' && call.function.name, 'get_weather');
  assert.deepEqual(call?.type === 'function' && JSON.parse(call.function.arguments), { city: 'mock', unit: 'c' });
  assert.deepEqual(lastUpstream().body.tools, weatherTools);
});

test('tool calls streamed: parallel deltas keep their indexes and assemble intact', async () => {
  const stream = t.client.chat.completions.stream({
    model: 'gpt-4o',
    tools: weatherTools,
    messages: [{ role: 'user', content: 'call get_weather and get_time' }],
  });
  const final = await stream.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls ?? [];
  assert.equal(calls.length, 2);
  assert.deepEqual(
    calls.map((c) => c.type === 'function' && c.function.name),
    ['get_weather', 'get_time'],
  );
  assert.deepEqual(
    calls.map((c) => c.type === 'function' && JSON.parse(c.function.arguments)),
    [{ city: 'mock', unit: 'c' }, { tz: 'mock' }],
  );
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('tool results in a follow-up turn are forwarded', async () => {
  const res = await t.client.chat.completions.create({
    model: 'gpt-4o',
    tools: weatherTools,
    messages: [
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":3}' },
    ],
  });
  assert.match(res.choices[0].message.content ?? '', /tool result/);
  assert.equal(lastUpstream().body.messages[2].tool_call_id, 'call_1');
});

test('vision content parts pass through unchanged', async () => {
  const parts = [
    { type: 'text' as const, text: 'What is in these?' },
    { type: 'image_url' as const, image_url: { url: 'https://example.com/cat.png', detail: 'low' as const } },
    { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
  ];
  const res = await t.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: parts }] });
  assert.match(res.choices[0].message.content ?? '', /^I see 2 images/);
  assert.deepEqual(lastUpstream().body.messages[0].content, parts);
});

test('JSON mode and stop sequences are forwarded', async () => {
  const res = await t.client.chat.completions.create({
    model: 'gpt-4o',
    response_format: { type: 'json_object' },
    stop: ['\n\n'],
    max_tokens: 50,
    messages: [{ role: 'user', content: 'json please' }],
  });
  assert.ok(JSON.parse(res.choices[0].message.content ?? '').reply);
  assert.deepEqual(lastUpstream().body.stop, ['\n\n']);
  assert.equal(lastUpstream().body.max_tokens, 50);
});

test('max_tokens truncation reports finish_reason length', async () => {
  const res = await t.client.chat.completions.create({
    model: 'gpt-4o',
    max_tokens: 2,
    messages: [{ role: 'user', content: 'echo: a b c d e f' }],
  });
  assert.equal(res.choices[0].finish_reason, 'length');
  assert.equal(res.choices[0].message.content, 'a b');
});

test('GET /v1/models lists enabled models as provider/model', async () => {
  const page = await t.client.models.list();
  const ids = page.data.map((m) => m.id);
  assert.ok(ids.includes('openai/gpt-4o-mini'));
  assert.ok(ids.includes('openai/text-embedding-3-small'));
  assert.ok(page.data.every((m) => m.object === 'model'));
});

test('health and readiness', async () => {
  const h = await fetch(`${t.url}/health`);
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok' });
  const r = await fetch(`${t.url}/ready`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ready', providers: ['openai'] });
});
