/**
 * A stream that ended at the protocol level (`data: [DONE]`) leaves the upstream connection for the
 * next request: the gateway drains what is left of the body instead of destroying it. A stream the
 * client leaves before its end still cuts the upstream (the tokens would cost money).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { openai } from '../../index.js';
import { eventually, startGateway } from '../helpers/gateway.js';

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  })}\n\n`;

/**
 * An upstream that ends its response a little after `[DONE]` (as a busy server may), counting the
 * connections its chat requests came on.
 */
async function upstream(opts: { endDelayMs: number; slowMs?: number }) {
  const state = { connections: 0, closedEarly: 0, finished: 0 };
  const sockets = new Set<unknown>();
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not here"}}');
      return;
    }
    sockets.add(req.socket);
    state.connections = sockets.size;
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 3; i++) {
        res.write(chunk(`part${i} `));
        if (opts.slowMs) await new Promise((r) => setTimeout(r, opts.slowMs));
      }
      res.write(chunk('', 'stop'));
      res.write('data: [DONE]\n\n');
      setTimeout(() => res.end(), opts.endDelayMs);
    });
    res.on('close', () => {
      if (res.writableFinished) state.finished++;
      else state.closedEarly++;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { state, url, close: () => new Promise((r) => server.close(r)) };
}

test('sequential streams that end with [DONE] are not cut and reuse their upstream connection', async () => {
  const up = await upstream({ endDelayMs: 20 });
  const gw = await startGateway({ providers: [openai({ apiKey: 'k', baseURL: up.url })] });
  try {
    for (let i = 0; i < 5; i++) {
      let text = '';
      const stream = await gw.client.chat.completions.create({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      assert.equal(text, 'part0 part1 part2 ');
      // the upstream ends its response 20 ms after [DONE]: the next request waits for it, or it would
      // rightly need a second connection
      await eventually(() => up.state.finished + up.state.closedEarly === i + 1);
    }
    assert.equal(up.state.closedEarly, 0, 'no upstream response was cut');
    // Kept alive: one connection, or two when a request went out before the gateway had read the end of
    // the previous answer (the upstream has sent it, the pool has not freed the socket yet). Cutting
    // each answer at [DONE] took one connection per stream.
    assert.ok(up.state.connections <= 2, `${up.state.connections} connections for five streams`);
  } finally {
    await gw.close();
    await up.close();
  }
});

test('a client that leaves mid-stream still cuts the upstream response', async () => {
  const up = await upstream({ endDelayMs: 0, slowMs: 300 });
  const gw = await startGateway({ providers: [openai({ apiKey: 'k', baseURL: up.url })] });
  try {
    const controller = new AbortController();
    const stream = await gw.client.chat.completions.create(
      { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { signal: controller.signal },
    );
    try {
      for await (const _ of stream) controller.abort();
    } catch {
      // the SDK ends an aborted stream with its abort error, or quietly
    }
    await eventually(() => up.state.closedEarly === 1);
  } finally {
    await gw.close();
    await up.close();
  }
});
