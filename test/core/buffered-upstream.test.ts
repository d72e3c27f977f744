/**
 * Whole JSON answers are read through undici's dispatcher with a collecting handler
 * (core/upstream-buffered.ts), and a request's abort signal is made only when something reads it
 * (core/abort.ts). Both must keep what the stream-based path did: answers split over many writes, an
 * answer cut short (502 upstream_stream_interrupted), an error status with the provider's message and
 * Retry-After, an upstream that is not there (502 upstream_unreachable), and a client that leaves:
 * the upstream call is cancelled (its connection closed), the request is metered as 499, and a
 * plugin that read `ctx.signal` (before or after the client left) sees it aborted.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { openaiCompatible, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { GatewayError } from '../../core/errors.js';
import { ProviderHttp } from '../../core/provider-kit/index.js';
import { UpstreamClient, type UpstreamRequest } from '../../core/upstream.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { type ModelUpstream, rejection, startModelUpstream } from '../helpers/model-upstream.js';

const answer = (model: string) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'one two three' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
  });

/** Requests the upstream saw close before it answered them, by model. */
const closedEarly: string[] = [];
/** Requests the upstream holds without answering, by model. */
const holding: string[] = [];
let upstream: ModelUpstream;
let upstreamUrl = '';

before(async () => {
  upstream = await startModelUpstream((model, res) => {
    if (model === 'split') {
      // Many small writes (chunked): the handler must join them.
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = answer(model);
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
      res.end();
    } else if (model === 'cut') {
      const text = answer(model);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
      res.write(text.slice(0, 40));
      setImmediate(() => res.socket?.destroy());
    } else if (model === 'limited') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify({ error: { message: 'Slow down, friend.', type: 'rate_limit', code: 'rate_limited' } }));
    } else if (model.startsWith('hang')) {
      holding.push(model);
      res.on('close', () => {
        if (!res.writableFinished) closedEarly.push(model);
      });
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer(model));
    }
  });
  upstreamUrl = upstream.url;
});

after(() => upstream.close());

const records: UsageRecord[] = [];
const signals: Array<{ model: string; early: AbortSignal }> = [];
let lateSignal: AbortSignal | undefined;
const watch = definePlugin({
  name: 'watch',
  apply(gw) {
    gw.hooks.meter.tap('watch', (r, ctx) => {
      records.push(r);
      if (r.requestedModel === 'up/hang-late') lateSignal = ctx.signal; // read only after the client left
    });
    gw.hooks.admit.tap('watch', (ctx) => {
      if (ctx.requestedModel === 'up/hang-early') signals.push({ model: ctx.requestedModel, early: ctx.signal });
    });
  },
});

async function withGateway(fn: (t: TestGateway) => Promise<void>): Promise<void> {
  const t = await startGateway({
    providers: [openaiCompatible({ name: 'up', baseURL: upstreamUrl, apiKey: 'k' })],
    failover: { retries: 0, backoffMs: 1 },
    plugins: [watch()],
  });
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

const ask = (client: OpenAI, model: string, signal?: AbortSignal) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { signal });

const failure = rejection;

test('an answer written in many small pieces arrives whole', async () => {
  await withGateway(async (t) => {
    const a = await ask(t.client, 'up/split');
    assert.equal(a.choices[0].message.content, 'one two three');
    assert.equal(a.usage?.total_tokens, 6);
  });
});

test('an answer cut short is a 502 upstream_stream_interrupted, metered', async () => {
  await withGateway(async (t) => {
    const e = await failure(ask(t.client, 'up/cut'));
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 502);
    assert.equal((e.error as { code?: string }).code, 'upstream_stream_interrupted');
    await eventually(() => records.some((r) => r.requestedModel === 'up/cut' && r.status === 502));
  });
});

test("an error status keeps the provider's message and Retry-After", async () => {
  await withGateway(async (t) => {
    const e = await failure(ask(t.client, 'up/limited'));
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 429);
    assert.match(e.message, /Slow down, friend\./);
    assert.equal(e.headers?.get('retry-after'), '7');
  });
});

test('an upstream that is not listening is a 502 upstream_unreachable', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const t = await startGateway({
    providers: [openaiCompatible({ name: 'gone', baseURL: `http://127.0.0.1:${port}`, apiKey: 'k' })],
    failover: { retries: 0, backoffMs: 1 },
  });
  try {
    const e = await failure(ask(t.client, 'gone/x'));
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 502);
    assert.equal((e.error as { code?: string }).code, 'upstream_unreachable');
  } finally {
    await t.close();
  }
});

test('a client that leaves cancels the upstream call; ctx.signal read before or after fires; metered 499', async () => {
  await withGateway(async (t) => {
    for (const model of ['up/hang-early', 'up/hang-late']) {
      const before = closedEarly.length;
      const controller = new AbortController();
      const pending = failure(ask(t.client, model, controller.signal));
      // The upstream holds the request: once it is there, the client leaves.
      await eventually(() => holding.includes(model.slice(3)));
      controller.abort();
      await pending;
      await eventually(() => closedEarly.length === before + 1); // the upstream connection was closed
      await eventually(() => records.some((r) => r.requestedModel === model));
      assert.equal(records.find((r) => r.requestedModel === model)?.status, 499);
    }
    assert.equal(signals.length, 1);
    assert.equal(signals[0].early.aborted, true, 'a signal read at admission fires when the client leaves');
    assert.ok(lateSignal instanceof AbortSignal);
    assert.equal(lateSignal.aborted, true, 'a signal first read after the client left is already aborted');
  });
});

test("ProviderHttp.postJson: a plugin's own client without sendBuffered still works (its send)", async () => {
  const real = new UpstreamClient({ timeoutMs: 10_000 });
  try {
    // A wrapper written before sendBuffered existed (as the Azure adapter's query-string view once was).
    const wrapper = {
      agent: real.agent,
      timeoutMs: real.timeoutMs,
      maxResponseBytes: real.maxResponseBytes,
      send: (provider: string, req: UpstreamRequest) => real.send(provider, req),
    } as unknown as UpstreamClient;
    const http = new ProviderHttp('up', wrapper);
    const call = { target: { provider: 'up', model: 'split' }, signal: new AbortController().signal, ctx: {} };
    const answer = (await http.postJson(`${upstreamUrl}/chat/completions`, { model: 'split' }, call as never)) as {
      choices: Array<{ message: { content: string } }>;
    };
    assert.equal(answer.choices[0].message.content, 'one two three');
    const e = await failure(http.postJson(`${upstreamUrl}/chat/completions`, { model: 'limited' }, call as never));
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.status, 429);
  } finally {
    await real.close();
  }
});

test('postJson and sendBuffered answer every failure with a rejection, never a synchronous throw', async () => {
  // Both are plain functions returning promise chains (no suspended frame while the upstream answers):
  // what the async functions they were did with a throw, they must still do.
  const client = new UpstreamClient({ timeoutMs: 10_000 });
  const seen: Array<{ status?: number; error?: string }> = [];
  let observerThrows = false;
  client.observe(() => {
    if (observerThrows) throw new Error('observer broke');
    return { end: (o) => seen.push({ status: o.status, error: o.error?.code ?? undefined }) };
  });
  try {
    const http = new ProviderHttp('up', client);
    const call = { target: { provider: 'up', model: 'split' }, signal: new AbortController().signal, ctx: {} };
    const signal = new AbortController().signal;

    // A body JSON cannot hold: a rejected promise (TypeError), not a throw.
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      pending = http.postJson(`${upstreamUrl}/chat/completions`, { model: 'split', n: 1n }, call as never);
    });
    assert.ok((await failure(pending!)) instanceof TypeError);

    // A URL undici cannot take is mapped as a transport failure, and the observer hears of it.
    const bad = await failure(client.sendBuffered('up', { url: 'not a url', headers: {}, body: '{}', signal }));
    assert.ok(bad instanceof GatewayError, String(bad));
    assert.equal(seen.at(-1)?.error, bad.code);

    // A whole answer: the observer hears its status; an error status is the provider's error.
    const ok = await client.sendBuffered('up', {
      url: `${upstreamUrl}/chat/completions`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'split' }),
      signal,
    });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(seen.at(-1), { status: 200, error: undefined });
    const url = `${upstreamUrl}/chat/completions`;
    const limited = await failure(http.postJson(url, { model: 'limited' }, call as never));
    assert.ok(limited instanceof GatewayError);
    assert.equal(limited.status, 429);

    // An observer that throws: a rejection with its error.
    observerThrows = true;
    assert.doesNotThrow(() => {
      pending = client.sendBuffered('up', { url: `${upstreamUrl}/x`, headers: {}, body: '{}', signal });
    });
    assert.equal(((await failure(pending!)) as Error).message, 'observer broke');
  } finally {
    await client.close();
  }
});
