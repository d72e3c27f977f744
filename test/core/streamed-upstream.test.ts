/**
 * Streamed answers are read through undici's dispatcher with a handler that hands each piece to its one
 * reader (core/upstream-streamed.ts), not through a Readable. It must keep what the stream-based path
 * did: events split anywhere across writes, each chunk passed on as it arrives (not at the end), the
 * socket paused while the reader is behind and resumed when it catches up (nothing lost, nothing held
 * without bound), a stream cut short (502 upstream_stream_interrupted after the start), an upstream
 * gone silent past the timeout (504 upstream_timeout), an error status with the provider's message and
 * Retry-After, a client that leaves (the upstream connection closed, metered 499), and a plugin's own
 * client without `sendStream`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { openaiCompatible, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { GatewayError } from '../../core/errors.js';
import { ProviderHttp } from '../../core/provider-kit/index.js';
import { SseReader } from '../../core/sse.js';
import { UpstreamClient, type UpstreamRequest } from '../../core/upstream.js';
import { UpstreamBody } from '../../core/upstream-streamed.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { type ModelUpstream, rejection, startModelUpstream } from '../helpers/model-upstream.js';

const chunk = (model: string, content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-s',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  })}\n\n`;
const usage = (model: string) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-s',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
  })}\n\n`;

const FLOOD_BYTES = 48 * 1024 * 1024;
const FLOOD_PIECE = 16 * 1024;

/** Streams the upstream is holding open until the test lets them go on, by model. */
const gates = new Map<string, () => void>();
/** Requests whose connection closed before the upstream finished its answer, by model. */
const closedEarly: string[] = [];
const flood = { written: 0, blocked: false, digest: '' };
function floodAnswer(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const hash = createHash('sha256');
  let i = 0;
  const more = () => {
    flood.blocked = false;
    while (flood.written < FLOOD_BYTES) {
      const piece = Buffer.alloc(FLOOD_PIECE, i++ % 251);
      hash.update(piece);
      flood.written += piece.length;
      if (!res.write(piece)) {
        flood.blocked = true;
        res.once('drain', more);
        return;
      }
    }
    flood.digest = hash.digest('hex');
    res.end();
  };
  more();
}

let upstream: ModelUpstream;
let upstreamUrl = '';

before(async () => {
  upstream = await startModelUpstream((model, res) => {
    res.on('close', () => {
      if (!res.writableFinished) closedEarly.push(model);
    });
    if (model === 'flood') return floodAnswer(res);
    if (model === 'limited') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify({ error: { message: 'Slow down, friend.', type: 'rate_limit', code: 'rate_limited' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (model === 'split') {
      // Every event split across writes, two events in one write, CRLF line ends.
      const text = [chunk(model, 'one '), chunk(model, 'two '), chunk(model, 'three', 'stop'), usage(model)]
        .join('')
        .replaceAll('\n', '\r\n');
      for (let i = 0; i < text.length; i += 13) res.write(text.slice(i, i + 13));
      res.end('data: [DONE]\r\n\r\n');
    } else if (model === 'gated') {
      // The first chunk, then nothing until the test has seen it arrive at the client.
      res.write(chunk(model, 'first '));
      gates.set(model, () => {
        res.write(chunk(model, 'second', 'stop'));
        res.write(usage(model));
        res.end('data: [DONE]\n\n');
      });
    } else if (model === 'cut') {
      res.write(chunk(model, 'half '));
      gates.set(model, () => res.socket?.destroy());
    } else if (model.startsWith('hang') || model === 'silent') {
      res.write(chunk(model, 'started '));
      gates.set(model, () => res.end());
    }
  });
  upstreamUrl = upstream.url;
});

after(async () => {
  for (const open of gates.values()) open();
  await upstream.close();
});

const records: UsageRecord[] = [];
const meter = definePlugin({
  name: 'records',
  apply(gw) {
    gw.hooks.meter.tap('records', (r) => {
      records.push(r);
    });
  },
});

async function withGateway(fn: (t: TestGateway) => Promise<void>, timeoutMs?: number): Promise<void> {
  const t = await startGateway({
    providers: [openaiCompatible({ name: 'up', baseURL: upstreamUrl, apiKey: 'k', timeoutMs })],
    failover: { retries: 0, backoffMs: 1 },
    plugins: [meter()],
  });
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

const stream = (client: OpenAI, model: string, signal?: AbortSignal) =>
  client.chat.completions.create(
    { model, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
    { signal },
  );

const failure = rejection;

test('events split anywhere across writes arrive whole, in order, with usage', async () => {
  await withGateway(async (t) => {
    let text = '';
    let total: number | undefined;
    for await (const c of await stream(t.client, 'up/split')) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) total = c.usage.total_tokens;
    }
    assert.equal(text, 'one two three');
    assert.equal(total, 6);
    await eventually(() => records.some((r) => r.requestedModel === 'up/split'));
    assert.equal(records.find((r) => r.requestedModel === 'up/split')?.status, 200);
  });
});

test('each chunk reaches the client as it arrives, before the upstream has finished', async () => {
  await withGateway(async (t) => {
    const it = (await stream(t.client, 'up/gated'))[Symbol.asyncIterator]();
    const first = await it.next(); // the upstream has sent only this one so far
    assert.equal(first.value?.choices[0]?.delta?.content, 'first ');
    gates.get('gated')?.();
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.choices[0]?.delta?.content ?? '');
    assert.equal(rest.join(''), 'second');
  });
});

test('a stream cut short after it started is metered 502 upstream_stream_interrupted', async () => {
  await withGateway(async (t) => {
    const it = (await stream(t.client, 'up/cut'))[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.choices[0]?.delta?.content, 'half ');
    gates.get('cut')?.();
    const e = await failure(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next());
      })(),
    );
    assert.ok(e instanceof Error, String(e));
    await eventually(() => records.some((r) => r.requestedModel === 'up/cut'));
    const r = records.find((x) => x.requestedModel === 'up/cut');
    assert.equal(r?.status, 502);
    assert.equal(r?.errorCode, 'upstream_stream_interrupted');
  });
});

test('an upstream silent past the timeout mid-stream is metered 504 upstream_timeout and cut', async () => {
  await withGateway(async (t) => {
    const it = (await stream(t.client, 'up/silent'))[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.choices[0]?.delta?.content, 'started ');
    const e = await failure(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next());
      })(),
    );
    assert.ok(e instanceof Error, String(e));
    await eventually(() => records.some((r) => r.requestedModel === 'up/silent'));
    assert.equal(records.find((r) => r.requestedModel === 'up/silent')?.errorCode, 'upstream_timeout');
    await eventually(() => closedEarly.includes('silent'));
  }, 300);
});

test("an error status on a stream keeps the provider's message and Retry-After", async () => {
  await withGateway(async (t) => {
    const e = await failure(stream(t.client, 'up/limited'));
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 429);
    assert.match(e.message, /Slow down, friend\./);
    assert.equal(e.headers?.get('retry-after'), '7');
  });
});

test('a client that leaves mid-stream closes the upstream connection; metered 499', async () => {
  await withGateway(async (t) => {
    const controller = new AbortController();
    const it = (await stream(t.client, 'up/hang', controller.signal))[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.choices[0]?.delta?.content, 'started ');
    controller.abort();
    await it.next().catch(() => undefined); // the SDK ends the stream or throws its abort error
    await eventually(() => closedEarly.includes('hang'));
    await eventually(() => records.some((r) => r.requestedModel === 'up/hang'));
    assert.equal(records.find((r) => r.requestedModel === 'up/hang')?.status, 499);
  });
});

test('a reader behind pauses the upstream socket; every byte arrives, in order, once it reads on', async () => {
  const client = new UpstreamClient({ timeoutMs: 60_000 });
  try {
    const res = await client.sendStream('up', {
      url: `${upstreamUrl}/v1/chat/completions`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'flood' }),
      signal: new AbortController().signal,
    });
    assert.equal(res.statusCode, 200);
    const hash = createHash('sha256');
    const first = await res.body.next();
    assert.equal(first.done, false);
    hash.update(first.value as Buffer);
    let read = (first.value as Buffer).length;
    // Nothing more is read: the upstream must come to a stop well before it has written everything.
    await eventually(() => flood.blocked, 30_000);
    assert.ok(flood.written < FLOOD_BYTES, `the upstream wrote all ${flood.written} bytes: nothing paused it`);
    for await (const piece of res.body) {
      hash.update(piece);
      read += piece.length;
    }
    assert.equal(read, FLOOD_BYTES);
    assert.equal(hash.digest('hex'), flood.digest);
  } finally {
    await client.close();
  }
});

test('UpstreamBody: past 64 KiB unread it asks undici to pause, and resumes once the reader catches up', async () => {
  let resumed = 0;
  const body = new UpstreamBody(
    () => undefined,
    () => undefined,
    undefined,
  );
  body.onConnect(() => undefined);
  assert.equal(
    body.onHeaders(200, [], () => resumed++, 'OK'),
    true,
  );
  assert.equal(body.onData(Buffer.alloc(32 * 1024)), true);
  assert.equal(body.onData(Buffer.alloc(32 * 1024)), false, 'paused at 64 KiB queued');
  assert.equal((await body.next()).value?.length, 32 * 1024);
  assert.equal(resumed, 1);
  assert.equal(body.onData(Buffer.from('tail')), true);
  body.onComplete(null);
  const rest: number[] = [];
  for await (const piece of body) rest.push(piece.length);
  assert.deepEqual(rest, [32 * 1024, 4]);
  assert.equal((await body.next()).done, true);
});

test('UpstreamBody: release(false) aborts the call, release(true) drains it; an error reaches the reader', async () => {
  const aborted: unknown[] = [];
  const make = () => {
    const b = new UpstreamBody(
      () => undefined,
      () => undefined,
      undefined,
    );
    b.onConnect((reason) => aborted.push(reason));
    b.onHeaders(200, [], () => undefined, 'OK');
    return b;
  };
  const cut = make();
  const waiting = cut.next();
  cut.release(false);
  assert.equal((await waiting).done, true, 'a waiting read ends');
  assert.equal(aborted.length, 1);
  const drained = make();
  drained.release(true);
  assert.equal(drained.onData(Buffer.from('rest')), true, 'the rest is read and dropped');
  assert.equal(aborted.length, 1, 'a drained call is not aborted');
  const broken = make();
  assert.equal(broken.onData(Buffer.from('a')), true);
  broken.onError(Object.assign(new Error('socket closed'), { code: 'UND_ERR_SOCKET' }));
  assert.equal((await broken.next()).value?.toString(), 'a', 'what arrived before the error is read first');
  await assert.rejects(broken.next(), /socket closed/);
});

test("ProviderHttp.postStream: a plugin's own client without sendStream still works (its send)", async () => {
  const real = new UpstreamClient({ timeoutMs: 10_000 });
  try {
    const wrapper = {
      agent: real.agent,
      timeoutMs: real.timeoutMs,
      maxResponseBytes: real.maxResponseBytes,
      send: (provider: string, req: UpstreamRequest) => real.send(provider, req),
    } as unknown as UpstreamClient;
    const http = new ProviderHttp('up', wrapper);
    const call = { target: { provider: 'up', model: 'split' }, signal: new AbortController().signal, ctx: {} };
    const res = await http.postStream(`${upstreamUrl}/chat/completions`, { model: 'split' }, call as never);
    const reader = new SseReader(res.body);
    const data: string[] = [];
    try {
      for await (const piece of reader.source) for (const ev of reader.events(piece)) data.push(ev.data);
    } finally {
      reader.release(true);
    }
    assert.equal(data.at(-1), '[DONE]');
    assert.equal(data.length, 5);
    const e = await failure(http.postStream(`${upstreamUrl}/chat/completions`, { model: 'limited' }, call as never));
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.status, 429);
  } finally {
    await real.close();
  }
});
