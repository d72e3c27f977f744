/**
 * The pipeline (core/pipeline.ts) and the attempt loop (core/attempt.ts) against an in-test adapter
 * (test/core/fake-adapter.ts, no HTTP upstream), through the real handler: for a success, a retryable
 * failure then success on the next target, a non-retryable failure, a stream that fails after it
 * started, and a client that leaves mid-stream, the hooks run in the order auth -> route -> admit ->
 * transformRequest -> attempts -> meter, and the meter record (which releases what admit held) is
 * emitted exactly once; an upstream stream that did not finish is released exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createGateway, type SwitchyardGateway } from '../../index.js';
import { eventually } from '../helpers/gateway.js';
import { fakeProvider, newTrace, recorder, type Trace } from './fake-adapter.js';

let gw: SwitchyardGateway;
let url: string;
let trace: Trace;
let seq = 0;
const KEY = 'sk-pipeline-test-key-0001';

before(async () => {
  trace = newTrace();
  gw = await createGateway({
    providers: [fakeProvider({ trace })],
    plugins: [recorder({ trace })],
    auth: { keys: [KEY] },
    routing: { aliases: { 'flaky-then-ok': ['fake/flaky', 'fake/ok'], 'bad-then-ok': ['fake/bad', 'fake/ok'] } },
    failover: { retries: 0, backoffMs: 1, breaker: false },
    logging: { level: 'silent' },
  });
  ({ url } = await gw.listen({ port: 0 }));
});

after(async () => {
  await gw?.close();
});

beforeEach(() => {
  trace.hooks.length = 0;
  trace.records.length = 0;
  trace.calls.length = 0;
});

function chat(model: string, stream = false, signal?: AbortSignal) {
  const id = `pipeline-${++seq}`;
  const res = fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id, authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
    signal,
  });
  return { id, res };
}

/** The hooks of request `id`, once its meter record arrived; then proves no second record comes. */
async function ended(id: string): Promise<{ hooks: string[]; status: number }> {
  await eventually(() => trace.records.some((r) => r.requestId === id));
  const hooks = [...trace.hooks];
  // A later request's record arriving means a duplicate of this one would have too (records are pushed
  // synchronously when a handler ends).
  const sentinel = chat('fake/ok');
  await (await sentinel.res).arrayBuffer();
  await eventually(() => trace.records.some((r) => r.requestId === sentinel.id));
  const mine = trace.records.filter((r) => r.requestId === id);
  assert.equal(mine.length, 1, 'exactly one meter record');
  assert.equal(trace.holds.get(id), 0, 'what admit held is released exactly once');
  return { hooks: hooks.slice(0, hooks.lastIndexOf('meter') + 1), status: mine[0].status };
}

const HEAD = ['auth', 'route', 'admit', 'transformRequest'];

test('success: one attempt, then the meter', async () => {
  const { id, res } = chat('fake/ok');
  assert.equal((await res).status, 200);
  const { hooks, status } = await ended(id);
  assert.deepEqual(hooks, [...HEAD, 'attemptStart:ok', 'attemptEnd:ok:ok', 'meter']);
  assert.equal(status, 200);
});

test('a retryable failure moves to the next target, which answers', async () => {
  const { id, res } = chat('flaky-then-ok');
  const r = await res;
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-switchyard-model'), 'ok');
  assert.equal(r.headers.get('x-switchyard-attempts'), '2');
  const { hooks, status } = await ended(id);
  assert.deepEqual(hooks, [
    ...HEAD,
    'attemptStart:flaky',
    'attemptEnd:flaky:503',
    'failover',
    'attemptStart:ok',
    'attemptEnd:ok:ok',
    'meter',
  ]);
  assert.equal(status, 200);
  assert.deepEqual(trace.calls.slice(0, 2), ['chat:flaky', 'chat:ok']);
});

test('a non-retryable failure ends the request without trying the next target', async () => {
  const { id, res } = chat('bad-then-ok');
  const r = await res;
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { error: { message: string } }).error.message, 'fake refuses');
  const { hooks, status } = await ended(id);
  assert.deepEqual(hooks, [...HEAD, 'attemptStart:bad', 'attemptEnd:bad:400', 'failover', 'meter']);
  assert.equal(status, 400);
  assert.deepEqual(trace.calls.slice(0, 1), ['chat:bad']);
  assert.ok(!trace.calls.includes('chat:ok') || trace.calls.indexOf('chat:ok') > 0, 'ok only for the sentinel');
});

test('a stream that completes: one attempt (its first chunk), every chunk, the meter', async () => {
  const { id, res } = chat('fake/ok', true);
  const text = await (await res).text();
  assert.match(text, /" two"/);
  assert.match(text, /\[DONE\]/);
  const { hooks, status } = await ended(id);
  assert.deepEqual(hooks, [...HEAD, 'attemptStart:ok', 'attemptEnd:ok:ok', 'meter']);
  assert.equal(status, 200);
  assert.equal(trace.streamsReleased.get(id), undefined, 'a finished stream needs no release');
});

test('a stream that fails after it started: an error event, no failover, one meter record', async () => {
  const { id, res } = chat('fake/breaks', true);
  const r = await res;
  assert.equal(r.status, 200, 'the head was sent with the first chunk');
  const text = await r.text();
  assert.match(text, /"one"/);
  assert.match(text, /fake stream broke/);
  const { hooks, status } = await ended(id);
  assert.deepEqual(hooks, [...HEAD, 'attemptStart:breaks', 'attemptEnd:breaks:ok', 'meter']);
  assert.equal(status, 502);
  assert.equal(trace.streamsReleased.get(id), 1);
});

test('a client that leaves mid-stream: the upstream is released once, the meter says 499', async () => {
  const abort = new AbortController();
  const { id, res } = chat('fake/hangs', true, abort.signal);
  const r = await res;
  const reader = r.body!.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /"one"/);
  abort.abort();
  await reader.closed.catch(() => undefined);
  const { hooks, status } = await ended(id);
  assert.deepEqual(hooks, [...HEAD, 'attemptStart:hangs', 'attemptEnd:hangs:ok', 'meter']);
  assert.equal(status, 499);
  assert.equal(trace.streamsReleased.get(id), 1);
});
