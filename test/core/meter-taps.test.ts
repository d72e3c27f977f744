/**
 * The meter hook's taps (core/pipeline.ts finishRequest): synchronous taps are called directly, promise
 * taps are started in stage order and awaited at shutdown, and one tap's throw or rejection is logged
 * without keeping the other taps from the record (with tapable's parallel hook, a sync tap that threw
 * stopped the taps after it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mock, type UsageRecord } from '../../index.js';
import { definePlugin } from '../../core/plugin.js';
import { eventually, startGateway } from '../helpers/gateway.js';

test('a throwing or rejecting meter tap does not stop the others; shutdown waits for promise taps', async () => {
  const order: string[] = [];
  let slowDone = false;
  const taps = definePlugin({
    name: 'taps',
    apply(gw) {
      gw.hooks.meter.tap({ name: 'throws', stage: -20 }, () => {
        order.push('throws');
        throw new Error('tap bug');
      });
      gw.hooks.meter.tapPromise({ name: 'rejects', stage: -10 }, async () => {
        order.push('rejects');
        throw new Error('async tap bug');
      });
      gw.hooks.meter.tapPromise({ name: 'slow', stage: 0 }, async (r: UsageRecord) => {
        order.push(`slow:${r.status}`);
        await new Promise((resolve) => setTimeout(resolve, 300)); // longer than the answer and close() take
        slowDone = true;
      });
      gw.hooks.meter.tap({ name: 'sees', stage: 10 }, (r: UsageRecord) => {
        order.push(`sees:${r.status}:${r.model}`);
      });
    },
  });
  const t = await startGateway({ providers: [mock()], plugins: [taps()] });
  let closed = false;
  try {
    const answer = await t.client.chat.completions.create({
      model: 'mock/mock-fast',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(answer.object, 'chat.completion');
    await eventually(() => order.length === 4);
    assert.deepEqual(order, ['throws', 'rejects', 'slow:200', 'sees:200:mock-fast']);
    await eventually(() => t.logs.filter((l) => l.includes('meter failed')).length === 2);
    slowDone = false;
    await t.client.chat.completions.create({ model: 'mock/mock-fast', messages: [{ role: 'user', content: 'x' }] });
    await t.close();
    closed = true;
    assert.equal(slowDone, true, 'close() waited for the promise tap of the last request');
  } finally {
    if (!closed) await t.close();
  }
});
