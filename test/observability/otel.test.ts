/**
 * The otel plugin through the real HTTP surface (official openai client) into the SDK's in-memory
 * exporter: request span with GenAI attributes, attempt spans with failover and hedge reasons, the
 * cache lookup span, the upstream call span whose traceparent reaches the upstream, the client's
 * traceparent continued, errors, opt-in content, sampling, and a host's global tracer provider.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { anthropic, createGateway, GatewayError, mock, openai, otel } from '../../index.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { eventually, memoryLogger, startGateway, type TestGateway } from '../helpers/gateway.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

let up: OpenAIEmulator;
let slow: OpenAIEmulator;
let claude: AnthropicEmulator;
let t: TestGateway;

before(async () => {
  up = await startOpenAIEmulator({ apiKey: 'sk-upstream-secret' });
  slow = await startOpenAIEmulator({ apiKey: 'sk-upstream-secret' });
  claude = await startAnthropicEmulator({ apiKey: 'sk-ant-upstream' });
  t = await startGateway({
    providers: [
      openai({ apiKey: 'sk-upstream-secret', baseURL: up.url }),
      openai({ name: 'backup', apiKey: 'sk-upstream-secret', baseURL: up.url, models: ['gpt-4o'] }),
      openai({ name: 'slowpoke', apiKey: 'sk-upstream-secret', baseURL: slow.url, models: ['slow'] }),
      anthropic({ apiKey: 'sk-ant-upstream', baseURL: claude.url }),
      mock(),
    ],
    routing: {
      aliases: { resilient: ['openai/error-503', 'backup/gpt-4o'], broken: ['openai/error-400'] },
      models: { hedged: { targets: ['slowpoke/slow', 'backup/gpt-4o'], hedgeDelayMs: 50 } },
    },
    failover: { retries: 1, backoffMs: 1, maxBackoffMs: 5 },
    cache: { ttlSeconds: 60 },
    plugins: [otel({ tracerProvider: provider })],
  });
});
after(async () => {
  await t.close();
  await up.close();
  await slow.close();
  await claude.close();
});

/** The spans of one trace, found by the request id attribute of its request span. */
async function traceOf(requestId: string, count = 1): Promise<{ root: ReadableSpan; spans: ReadableSpan[] }> {
  let root: ReadableSpan | undefined;
  await eventually(() => {
    root = exporter.getFinishedSpans().find((s) => s.attributes['switchyard.request.id'] === requestId);
    if (!root) return false;
    const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root!.spanContext().traceId);
    return all.length >= count;
  }, 20_000);
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root!.spanContext().traceId);
  return { root: root!, spans };
}

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => parentOf(s) === parent.spanContext().spanId);

test(
  'a chat request: request span with GenAI attributes, an attempt span, ' +
    'an upstream span whose traceparent reached the upstream',
  async () => {
    const { data, response } = await t.client.chat.completions
      .create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'echo: traced secret prompt' }],
        max_tokens: 50,
        temperature: 0.2,
      })
      .withResponse();
    const id = response.headers.get('x-request-id')!;
    const { root, spans } = await traceOf(id, 3);
    assert.equal(root.name, 'chat openai/gpt-4o-mini');
    assert.equal(root.kind, SpanKind.SERVER);
    const a = root.attributes;
    assert.equal(a['gen_ai.operation.name'], 'chat');
    assert.equal(a['gen_ai.provider.name'], 'openai');
    assert.equal(a['gen_ai.request.model'], 'openai/gpt-4o-mini');
    assert.equal(a['gen_ai.response.model'], data.model);
    assert.equal(a['gen_ai.response.id'], data.id);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(a['gen_ai.usage.input_tokens'], data.usage!.prompt_tokens);
    assert.equal(a['gen_ai.usage.output_tokens'], data.usage!.completion_tokens);
    assert.equal(a['gen_ai.request.max_tokens'], 50);
    assert.equal(a['gen_ai.request.temperature'], 0.2);
    assert.equal(a['switchyard.attempts'], 1);
    assert.equal(a['switchyard.cache.status'], 'miss');
    assert.equal(typeof a['switchyard.cost_usd'], 'number');
    assert.equal(a['http.response.status_code'], 200);
    assert.equal(a['error.type'], undefined);

    const [attempt] = childrenOf(spans, root);
    const attemptSpans = spans.filter((s) => s.name.startsWith('attempt '));
    assert.equal(attemptSpans.length, 1);
    assert.equal(attemptSpans[0].attributes['switchyard.attempt.reason'], 'initial');
    const upstream = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    assert.equal(upstream.name, 'chat gpt-4o-mini');
    assert.equal(parentOf(upstream), attemptSpans[0].spanContext().spanId);
    assert.equal(upstream.attributes['server.address'], '127.0.0.1');
    assert.equal(upstream.attributes['http.response.status_code'], 200);
    assert.ok(attempt);

    // The upstream got our upstream span as its parent.
    const seen = up.requests.at(-1)!;
    const tp = String(seen.headers.traceparent);
    assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(tp.split('-')[1], root.spanContext().traceId);
    assert.equal(tp.split('-')[2], upstream.spanContext().spanId);

    // No content and no secret anywhere in the spans.
    const dump = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    assert.ok(!dump.includes('traced secret prompt'), 'no prompt text in spans');
    assert.ok(!dump.includes('sk-upstream-secret'), 'no upstream key in spans');
  },
);

test(
  "the client's traceparent is continued: same trace id, " + "the request span's parent is the client's span",
  async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const { response } = await t.client.chat.completions
      .create(
        { model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'vendor=abc' } },
      )
      .withResponse();
    const { root } = await traceOf(response.headers.get('x-request-id')!);
    assert.equal(root.spanContext().traceId, traceId);
    assert.equal(parentOf(root), parent);
    assert.equal(root.spanContext().traceState?.get('vendor'), 'abc');
  },
);

test('a malformed traceparent starts a new trace (and the request succeeds)', async () => {
  const { response } = await t.client.chat.completions
    .create(
      { model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { traceparent: 'garbage-value' } },
    )
    .withResponse();
  const { root } = await traceOf(response.headers.get('x-request-id')!);
  assert.equal(parentOf(root), undefined);
  assert.match(root.spanContext().traceId, /^[0-9a-f]{32}$/);
});

test('failover: one attempt span per attempt with its reason and the error that led to it', async () => {
  const { response } = await t.client.chat.completions
    .create({ model: 'resilient', messages: [{ role: 'user', content: 'echo: saved' }] })
    .withResponse();
  const { root, spans } = await traceOf(response.headers.get('x-request-id')!, 7);
  const attempts = spans
    .filter((s) => s.name.startsWith('attempt '))
    .sort((x, y) => x.startTime[0] - y.startTime[0] || x.startTime[1] - y.startTime[1]);
  assert.deepEqual(
    attempts.map((s) => s.name),
    ['attempt openai/error-503', 'attempt openai/error-503', 'attempt backup/gpt-4o'],
  );
  assert.deepEqual(
    attempts.map((s) => s.attributes['switchyard.attempt.reason']),
    ['initial', 'retry', 'next'],
  );
  assert.equal(attempts[1].attributes['switchyard.attempt.after_error'], attempts[0].attributes['error.type']);
  assert.equal(attempts[0].status.code, SpanStatusCode.ERROR);
  assert.equal(attempts[0].attributes['http.response.status_code'], 503);
  assert.equal(attempts[2].status.code, SpanStatusCode.UNSET);
  for (const s of attempts) assert.equal(parentOf(s), root.spanContext().spanId);
  assert.equal(root.attributes['switchyard.attempts'], 3);
  // A provider with a custom name reports that name (a well-known one, e.g. "openai", its conventional value).
  assert.equal(root.attributes['gen_ai.provider.name'], 'backup');
  assert.equal(root.attributes['switchyard.provider'], 'backup');
});

test('hedging: the hedge attempt has reason "hedge"; the slow one is marked cancelled', async () => {
  const { response } = await t.client.chat.completions
    .create({ model: 'hedged', messages: [{ role: 'user', content: 'echo: fast' }] })
    .withResponse();
  const { spans } = await traceOf(response.headers.get('x-request-id')!, 5);
  await eventually(
    () =>
      exporter
        .getFinishedSpans()
        .some((s) => s.name === 'attempt slowpoke/slow' && s.spanContext().traceId === spans[0].spanContext().traceId),
    5000,
  );
  const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === spans[0].spanContext().traceId);
  const hedge = all.find((s) => s.name === 'attempt backup/gpt-4o')!;
  const slowOne = all.find((s) => s.name === 'attempt slowpoke/slow')!;
  assert.equal(hedge.attributes['switchyard.attempt.reason'], 'hedge');
  assert.equal(hedge.attributes['switchyard.attempt.hedge'], true);
  assert.equal(slowOne.attributes['switchyard.attempt.cancelled'], true);
});

test('cache: a lookup span per request, miss then hit; the hit has no attempt span and zero cost', async () => {
  const body = { model: 'mock/mock-small', messages: [{ role: 'user' as const, content: 'cache me' }], temperature: 0 };
  const first = await t.client.chat.completions.create(body).withResponse();
  const second = await t.client.chat.completions.create(body).withResponse();
  assert.equal(second.response.headers.get('x-switchyard-cache'), 'hit');
  const miss = await traceOf(first.response.headers.get('x-request-id')!, 2);
  const hit = await traceOf(second.response.headers.get('x-request-id')!, 2);
  const lookup = (x: typeof miss) => x.spans.find((s) => s.name === 'cache lookup')!;
  assert.equal(lookup(miss).attributes['switchyard.cache.result'], 'miss');
  assert.equal(lookup(hit).attributes['switchyard.cache.result'], 'hit');
  assert.equal(parentOf(lookup(hit)), hit.root.spanContext().spanId);
  assert.equal(hit.spans.filter((s) => s.name.startsWith('attempt ')).length, 0);
  assert.equal(hit.root.attributes['switchyard.cache.status'], 'hit');
  assert.equal(hit.root.attributes['switchyard.cost_usd'], 0);
});

test('an upstream error: error.type and an error status on the request span, the client gets the 400', async () => {
  const err = await t.client.chat.completions
    .create({ model: 'broken', messages: [{ role: 'user', content: 'x' }] })
    .catch((e) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
  const id = err.headers.get('x-request-id')!;
  const { root } = await traceOf(id, 2);
  assert.equal(root.status.code, SpanStatusCode.ERROR);
  assert.equal(root.attributes['http.response.status_code'], 400);
  assert.ok(root.attributes['error.type']);
});

test('a refused request (unknown model) still gets a request span with error.type', async () => {
  const err = await t.client.chat.completions
    .create({ model: 'nope/none', messages: [{ role: 'user', content: 'x' }] })
    .catch((e) => e);
  assert.equal(err.status, 404);
  const { root } = await traceOf(err.headers.get('x-request-id'));
  assert.equal(root.attributes['error.type'], 'model_not_found');
});

test(
  'streams: finish reasons and time to first chunk; ' +
    'Anthropic Messages gets provider "anthropic" and a traceparent upstream',
  async () => {
    const stream = await t.client.chat.completions
      .create({
        model: 'mock/mock-small',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    for await (const _ of stream.data) {
      /* drain */
    }
    const { root } = await traceOf(stream.response.headers.get('x-request-id')!);
    assert.deepEqual(root.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(root.attributes['gen_ai.request.stream'], true);
    assert.equal(typeof root.attributes['gen_ai.response.time_to_first_chunk'], 'number');

    const res = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'unused' },
      body: JSON.stringify({
        model: 'anthropic/claude-sonnet-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hello' }],
      }),
    });
    assert.equal(res.status, 200);
    const { root: r2, spans } = await traceOf(res.headers.get('x-request-id')!, 3);
    assert.equal(r2.attributes['gen_ai.provider.name'], 'anthropic');
    assert.equal(r2.attributes['switchyard.dialect'], 'anthropic');
    const upstream = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    assert.equal(String(claude.requests.at(-1)!.headers.traceparent).split('-')[2], upstream.spanContext().spanId);
  },
);

test('content is captured only when the operator opts in', async () => {
  const memory = new InMemorySpanExporter();
  const p = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const g = await startGateway({ providers: [mock()], plugins: [otel({ tracerProvider: p, captureContent: true })] });
  try {
    await g.client.chat.completions.create({
      model: 'mock/mock-small',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'echo: opted in text' },
      ],
    });
    await eventually(() => memory.getFinishedSpans().some((s) => s.attributes['gen_ai.output.messages']));
    const root = memory.getFinishedSpans().find((s) => s.attributes['gen_ai.input.messages'])!;
    assert.deepEqual(JSON.parse(String(root.attributes['gen_ai.input.messages'])), [
      { role: 'user', parts: [{ type: 'text', content: 'echo: opted in text' }] },
    ]);
    assert.deepEqual(JSON.parse(String(root.attributes['gen_ai.system_instructions'])), [
      { type: 'text', content: 'be brief' },
    ]);
    const out = JSON.parse(String(root.attributes['gen_ai.output.messages']));
    assert.equal(out[0].role, 'assistant');
    assert.equal(out[0].parts[0].content, 'opted in text');
    assert.equal(out[0].finish_reason, 'stop');
  } finally {
    await g.close();
  }
});

test('propagate: false sends no traceparent upstream; acceptTraceparent: false ignores the client trace', async () => {
  const memory = new InMemorySpanExporter();
  const p = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const g = await startGateway({
    providers: [openai({ apiKey: 'sk-upstream-secret', baseURL: up.url })],
    plugins: [otel({ tracerProvider: p, propagate: false, acceptTraceparent: false })],
  });
  try {
    const traceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    await g.client.chat.completions.create(
      { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      { headers: { traceparent: `00-${traceId}-bbbbbbbbbbbbbbbb-01` } },
    );
    assert.equal(up.requests.at(-1)!.headers.traceparent, undefined);
    await eventually(() => memory.getFinishedSpans().some((s) => s.kind === SpanKind.SERVER));
    assert.notEqual(
      memory
        .getFinishedSpans()
        .find((s) => s.kind === SpanKind.SERVER)!
        .spanContext().traceId,
      traceId,
    );
  } finally {
    await g.close();
  }
});

test("a host app's global tracer provider is used when no provider is given (library mode)", async () => {
  const memory = new InMemorySpanExporter();
  const host = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  assert.ok(trace.setGlobalTracerProvider(host));
  const logs: string[] = [];
  const gw = await createGateway({ logger: memoryLogger(logs), providers: [mock()], plugins: [otel()] });
  try {
    const { url } = await gw.listen({ port: 0 });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] });
    await eventually(() => memory.getFinishedSpans().some((s) => s.name === 'chat mock/mock-small'));
    assert.ok(logs.some((l) => l.includes('"provider":"global"')));
  } finally {
    await gw.close();
    trace.disable();
  }
});

test(
  'sampling: ratio 0 on our own provider records nothing ' + 'but still propagates a valid unsampled traceparent',
  async () => {
    const g = await startGateway({
      providers: [openai({ apiKey: 'sk-upstream-secret', baseURL: up.url })],
      plugins: [
        otel({ provider: 'own', sampler: { ratio: 0 }, exporter: { endpoint: 'http://127.0.0.1:9/v1/traces' } }),
      ],
    });
    try {
      await g.client.chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      });
      assert.match(String(up.requests.at(-1)!.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    } finally {
      await g.close();
    }
  },
);

test('bad options fail at boot with the option named', async () => {
  await assert.rejects(
    createGateway({ logger: memoryLogger([]), providers: [mock()], plugins: [otel({ sampler: { ratio: 2 } })] }),
    /otel.*sampler\/ratio|otel.*ratio/,
  );
  await assert.rejects(
    createGateway({
      logger: memoryLogger([]),
      providers: [mock()],
      plugins: [otel({ exporter: { endpoint: 'ftp://x' } })],
    }),
    /otel.*endpoint/,
  );
  await assert.rejects(
    createGateway({ logger: memoryLogger([]), providers: [mock()], plugins: [otel({ provider: 'global' })] }),
    /no global tracer provider/,
  );
});

test('a guardrail plugin (a tap named *guardrail*) gets a span per check; a refusal is an error span', async () => {
  const memory = new InMemorySpanExporter();
  const p = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const guard = {
    name: 'topic-guardrail',
    apply(gateway: Parameters<import('../../index.js').Plugin['apply']>[0]) {
      gateway.hooks.admit.tapPromise('topic-guardrail', async (ctx) => {
        if (ctx.operation === 'chat' && JSON.stringify(ctx.request.messages).includes('forbidden')) {
          throw new GatewayError(400, 'Blocked by policy.', { code: 'guardrail_blocked' });
        }
      });
    },
  };
  const g = await startGateway({ providers: [mock()], plugins: [guard, otel({ tracerProvider: p })] });
  try {
    await g.client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'fine' }] });
    const err = await g.client.chat.completions
      .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'forbidden' }] })
      .catch((e) => e);
    assert.equal(err.status, 400);
    await eventually(
      () => memory.getFinishedSpans().filter((s) => s.name === 'guardrail topic-guardrail').length === 2,
    );
    const [ok, blocked] = memory.getFinishedSpans().filter((s) => s.name === 'guardrail topic-guardrail');
    assert.equal(ok.status.code, SpanStatusCode.UNSET);
    assert.equal(blocked.status.code, SpanStatusCode.ERROR);
    assert.equal(blocked.attributes['error.type'], 'guardrail_blocked');
    await eventually(() => memory.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length === 2);
    const root = memory
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && s.attributes['error.type'] === 'guardrail_blocked');
    assert.ok(root, 'the request span carries the refusal');
    assert.equal(blocked.parentSpanContext?.spanId, root!.spanContext().spanId);
  } finally {
    await g.close();
  }
});

test(
  'guardrail verdicts on the request span (the real guardrails plugin): counts, rule ids, policies, ' +
    'the strongest action; the matched text in no span',
  async () => {
    const memory = new InMemorySpanExporter();
    const p = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    const email = 'zqx.otel-canary@example.com';
    const word = 'zqxforbiddenword';
    const g = await startGateway({
      providers: [openai({ apiKey: 'sk-upstream-secret', baseURL: up.url })],
      guardrails: {
        policies: [
          { id: 'mask', action: 'redact', checks: [{ type: 'pii', entities: ['email'] }] },
          { id: 'no-codenames', action: 'block', checks: [{ type: 'words', name: 'codenames', words: [word] }] },
          { id: 'watch', action: 'log', on: 'output', checks: [{ type: 'words', name: 'audit', words: ['invoice'] }] },
        ],
      },
      plugins: [otel({ tracerProvider: p })],
    });
    const spanOf = async (id: string) => {
      await eventually(() => memory.getFinishedSpans().some((s) => s.attributes['switchyard.request.id'] === id));
      return memory.getFinishedSpans().find((s) => s.attributes['switchyard.request.id'] === id)!;
    };
    const verdictAttributes = (s: ReadableSpan) =>
      Object.fromEntries(Object.entries(s.attributes).filter(([k]) => k.startsWith('switchyard.guardrails.')));
    const messages = (content: string) => [{ role: 'user' as const, content }];
    try {
      // redact on input (the e-mail, restored for the client) and log on output
      const masked = await g.client.chat.completions
        .create({ model: 'openai/gpt-4o-mini', messages: messages(`echo: invoice for ${email}`) })
        .withResponse();
      assert.equal(masked.data.choices[0].message.content, `invoice for ${email}`);
      assert.equal(up.requests.at(-1)!.body.messages[0].content, 'echo: invoice for [EMAIL_1]');
      const redacted = await spanOf(masked.response.headers.get('x-request-id')!);
      assert.deepEqual(verdictAttributes(redacted), {
        'switchyard.guardrails.verdicts': 2,
        'switchyard.guardrails.rules': ['pii.email', 'words.audit'],
        'switchyard.guardrails.policies': ['mask', 'watch'],
        'switchyard.guardrails.phases': ['input', 'output'],
        'switchyard.guardrails.action': 'redact',
      });

      // a stream: the same, from the record made at the stream's end
      const { data: stream, response } = await g.client.chat.completions
        .create({ model: 'openai/gpt-4o-mini', stream: true, messages: messages(`echo: ${email}, ${email}`) })
        .withResponse();
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      assert.equal(text, `${email}, ${email}`);
      const streamed = await spanOf(response.headers.get('x-request-id')!);
      assert.equal(streamed.attributes['switchyard.guardrails.verdicts'], 2);
      assert.deepEqual(streamed.attributes['switchyard.guardrails.rules'], ['pii.email']);
      assert.equal(streamed.attributes['switchyard.guardrails.action'], 'redact');

      // blocked on input: the strongest action is block; the guardrail child span is the error
      const id = 'otel-guardrail-blocked';
      const err = await g.client.chat.completions
        .create(
          { model: 'openai/gpt-4o-mini', messages: messages(`echo: ${email} asks about ${word}`) },
          { headers: { 'x-request-id': id } },
        )
        .catch((e) => e);
      assert.equal(err.status, 400);
      const blocked = await spanOf(id);
      assert.deepEqual(verdictAttributes(blocked), {
        'switchyard.guardrails.verdicts': 2,
        'switchyard.guardrails.rules': ['pii.email', 'words.codenames'],
        'switchyard.guardrails.policies': ['mask', 'no-codenames'],
        'switchyard.guardrails.phases': ['input'],
        'switchyard.guardrails.action': 'block',
      });
      assert.equal(blocked.attributes['error.type'], 'guardrail_blocked');
      const check = memory
        .getFinishedSpans()
        .find((s) => s.name === 'guardrail guardrails' && parentOf(s) === blocked.spanContext().spanId);
      assert.equal(check?.attributes['error.type'], 'guardrail_blocked');

      // nothing fired: no guardrail attributes
      const { response: quiet } = await g.client.chat.completions
        .create({ model: 'openai/gpt-4o-mini', messages: messages('echo: hello') })
        .withResponse();
      assert.deepEqual(verdictAttributes(await spanOf(quiet.headers.get('x-request-id')!)), {});

      // the canaries are in no span: names, attributes, events, status messages
      const spans = memory.getFinishedSpans();
      assert.ok(spans.length >= 8);
      const dump = JSON.stringify(
        spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
      );
      assert.ok(dump.includes('pii.email'), 'the rule ids are there');
      for (const canary of [email, word, 'otel-canary']) assert.ok(!dump.includes(canary), `${canary} leaked`);
    } finally {
      await g.close();
    }
  },
);
