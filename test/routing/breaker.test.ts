/** Circuit breakers: a killed provider, consecutive failures, half-open probes, /health/targets. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openai } from '../../index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { user } from './helpers.js';

let primary: OpenAIEmulator;
let backup: OpenAIEmulator;
let flaky: OpenAIEmulator;
let t: TestGateway;
const COOLDOWN = 1500;

before(async () => {
  primary = await startOpenAIEmulator();
  backup = await startOpenAIEmulator();
  flaky = await startOpenAIEmulator({ behaviour: { status: 503 } });
  t = await startGateway({
    providers: [
      openai({ name: 'primary', apiKey: 'test-key', baseURL: primary.url, models: ['m'] }),
      openai({ name: 'backup', apiKey: 'test-key', baseURL: backup.url, models: ['m'] }),
      openai({ name: 'flaky', apiKey: 'test-key', baseURL: flaky.url, models: ['m'] }),
    ],
    routing: { aliases: { main: ['primary/m', 'backup/m'], shaky: ['flaky/m', 'backup/m'] } },
    failover: { retries: 0, backoffMs: 1, breaker: { failureThreshold: 2, cooldownMs: COOLDOWN } },
  });
});
after(async () => {
  await t.close();
  await primary.close();
  await backup.close();
  await flaky.close();
});

async function call(model: string) {
  const t0 = performance.now();
  const { data, response } = await t.client.chat.completions
    .create({ model, messages: user('echo: ok') })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'ok');
  return {
    ms: performance.now() - t0,
    provider: response.headers.get('x-switchyard-provider'),
    attempts: Number(response.headers.get('x-switchyard-attempts')),
  };
}

const health = async () =>
  (await (await fetch(`${t.url}/health/targets`)).json()) as {
    targets: Array<{ target: string; state: string; reason?: string; consecutiveFailures?: number; latency: unknown }>;
  };

test(
  'a provider killed mid-test costs one failed attempt; ' + 'then traffic goes straight to the healthy target',
  async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call('main')).provider, 'primary');
    const port = primary.port;
    await primary.close();
    const first = await call('main');
    assert.equal(first.provider, 'backup');
    assert.equal(first.attempts, 2, 'one failed attempt (connection refused), then the backup');
    for (let i = 0; i < 10; i++) {
      const r = await call('main');
      assert.equal(r.provider, 'backup');
      assert.equal(r.attempts, 1, 'the open breaker skips the dead target: no attempt at all');
    }
    const h = (await health()).targets.find((x) => x.target === 'primary/m')!;
    assert.equal(h.state, 'open');
    assert.equal(h.reason, 'host unreachable');

    // Recovery: after the cooldown one probe goes through (half-open); success closes the breaker.
    primary = await startOpenAIEmulator({ port });
    await new Promise((r) => setTimeout(r, COOLDOWN + 50));
    assert.equal((await health()).targets.find((x) => x.target === 'primary/m')!.state, 'half-open');
    assert.equal((await call('main')).provider, 'primary');
    assert.equal((await health()).targets.find((x) => x.target === 'primary/m')!.state, 'closed');
    assert.equal((await call('main')).provider, 'primary');
  },
);

test('consecutive retryable failures open the breaker; a failed half-open probe reopens it', async () => {
  const before = flaky.requests.length;
  assert.equal((await call('shaky')).attempts, 2);
  assert.equal((await call('shaky')).attempts, 2);
  assert.equal((await call('shaky')).attempts, 1, 'open after 2 consecutive failures');
  assert.equal(flaky.requests.length - before, 2);
  await new Promise((r) => setTimeout(r, COOLDOWN + 50));
  assert.equal((await call('shaky')).attempts, 2, 'half-open probe, still failing');
  assert.equal((await call('shaky')).attempts, 1, 'reopened');
  const h = (await health()).targets.find((x) => x.target === 'flaky/m')!;
  assert.equal(h.state, 'open');
  assert.equal(h.reason, 'probe failed');
  flaky.behaviour = {};
});

test('/health/targets lists configured targets with breaker state and latency', async () => {
  const body = await health();
  const names = body.targets.map((x) => x.target);
  for (const n of ['primary/m', 'backup/m', 'flaky/m']) assert.ok(names.includes(n), n);
  const b = body.targets.find((x) => x.target === 'backup/m')!;
  assert.equal(b.state, 'closed');
  assert.equal(b.consecutiveFailures, 0);
  assert.ok((b.latency as { totalMs: number }).totalMs > 0);
});
