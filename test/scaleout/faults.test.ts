/**
 * Faults under load with three gateway processes: a private redis-server killed and restarted
 * (rate limits fail open, budgets fail closed with 503, bounded latency, /ready and /metrics show
 * it, budgets rebuilt from the ledger afterwards), and PostgreSQL cut behind a TCP proxy (records
 * buffered and all written when it returns; beyond the buffer bound, dropped and counted).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import {
  ADMIN,
  CuttableProxy,
  OwnRedis,
  dropSchema,
  eventually,
  freePort,
  pusdOf,
  runId,
  services,
  startInstances,
  stopInstance,
  user,
  type Instance,
} from './helpers.js';

const LIMITED = 'sk-faults-limited-000000000000001';
const BUDGETED = 'sk-faults-budgeted-00000000000001';
const LEDGERED = 'sk-faults-ledgered-00000000000001';
const OVERFLOW = 'sk-faults-overflow-00000000000001';

const skip = await services();
const schema = runId('sy_faults');
let up: OpenAIEmulator;
let redis: OwnRedis;
let proxy: CuttableProxy;
let gws: Instance[] = [];

before(async () => {
  if (skip) return;
  up = await startOpenAIEmulator();
  redis = new OwnRedis(await freePort());
  await redis.start();
  proxy = new CuttableProxy(await freePort(), { host: '127.0.0.1', port: 5432 });
  await proxy.open();
  const env = {
    SY_REDIS_URL: redis.url,
    SY_REDIS_PREFIX: 'faults:',
    SY_PG_URL: `postgres://root@127.0.0.1:${proxy.port}/test`,
    SY_PG_SCHEMA: schema,
    SY_UPSTREAM: up.url,
    SY_FLAKY: up.url,
    SY_KEYS: JSON.stringify([
      { id: 'limited', key: LIMITED, limits: { requestsPerMinute: 100_000, concurrent: 1000 } },
      { id: 'budgeted', key: BUDGETED, budgets: [{ limitUsd: 10, period: 'month' }] },
      { id: 'ledgered', key: LEDGERED },
      { id: 'overflow', key: OVERFLOW },
    ]),
  };
  gws = await startInstances([env, env, { ...env, SY_PG_MAX_BUFFERED: '10' }]);
});

after(async () => {
  if (skip) return;
  let codes: unknown[] = [];
  try {
    await proxy.open().catch(() => undefined);
    codes = await Promise.all(gws.map((g) => stopInstance(g)));
  } finally {
    await redis?.stop();
    await proxy?.cut();
    await up?.close();
    await dropSchema(schema).catch(() => undefined);
  }
  assert.deepEqual(
    codes,
    gws.map(() => 0),
    `every instance shuts down cleanly after the faults: ${gws.map((g) => g.stderr().slice(-1500)).join('\n')}`,
  );
});

const alive = () => {
  for (const g of gws) assert.equal(g.child.exitCode, null, `${g.name} still running: ${g.stderr().slice(-1500)}`);
};
const metric = (text: string, name: string, labels = '') =>
  Number(new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test('Redis killed and restarted mid-load: limits fail open, ' +
  'budgets fail closed, bounded latency, then everything recovers', {
  skip,
  timeout: 40_000,
}, async () => {
  let n = 0;
  const budgetCosts: number[] = [];
  const ask = async (g: Instance, key: string) => {
    const r = await g.chat(key, user(`redis fault ${n++}`));
    if (key === BUDGETED && r.status === 200) budgetCosts.push(pusdOf(r.json.usage));
    return r;
  };
  // before: everything passes
  for (const g of gws) {
    assert.equal((await ask(g, LIMITED)).status, 200);
    assert.equal((await ask(g, BUDGETED)).status, 200);
  }
  await redis.stop();
  await eventually(async () => (await gws[0].get('/ready')).json.checks.redis.state === 'down');
  // during: load on all three instances
  const during = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(gws[i % 3], i % 2 ? BUDGETED : LIMITED)));
  const limited = during.filter((_, i) => i % 2 === 0);
  const budgeted = during.filter((_, i) => i % 2 === 1);
  assert.ok(
    limited.every((r) => r.status === 200),
    `rate limits fail open: ${limited.map((r) => r.status)}`,
  );
  assert.ok(
    budgeted.every((r) => r.status === 503 && r.json.error.code === 'store_unavailable'),
    'budgets fail closed',
  );
  assert.equal(budgeted[0].headers.get('retry-after'), '1');
  // No command waits for Redis while it is down (no offline queue: refused at once); the bound
  // here is loose only because CI runs other gateways on the same CPUs.
  const slowest = Math.max(...during.map((r) => r.ms));
  assert.ok(slowest < 2500, `bounded latency during the outage (slowest ${slowest.toFixed(0)} ms)`);
  const ready = await gws[1].get('/ready');
  assert.equal(ready.status, 200, 'degraded, still serving: stays in rotation by default');
  assert.equal(ready.json.checks.redis.state, 'down');
  assert.deepEqual(ready.json.checks.redis.policy, {
    rateLimits: 'open',
    budgets: 'closed',
    cache: 'open',
    keys: 'open',
  });
  const metrics = (await gws[1].get('/metrics', ADMIN)).text;
  assert.equal(metric(metrics, 'switchyard_store_up'), 0);
  assert.ok(metric(metrics, 'switchyard_store_outage_decisions_total', '{feature="budgets",outcome="closed"}') >= 1);
  assert.ok(metric(metrics, 'switchyard_store_outage_decisions_total', '{feature="rateLimits",outcome="open"}') >= 1);
  alive();

  // Redis comes back empty (no persistence): clients reconnect, budgets are rebuilt from the ledger.
  await redis.start();
  for (const g of gws) await eventually(async () => (await ask(g, BUDGETED)).status === 200, 5000, 50);
  const b = (await gws[2].admin('GET', '/admin/budgets')).json.data.find((x: any) => x.id === 'budgeted');
  assert.equal(
    Math.round(b.spentUsd * 1e12),
    budgetCosts.reduce((a, c) => a + c, 0),
    'the spend before the outage was rebuilt from the ledger',
  );
  assert.equal((await gws[0].get('/ready')).json.checks.redis.state, 'up');
  assert.equal(metric((await gws[0].get('/metrics', ADMIN)).text, 'switchyard_store_up'), 1);
  // Log lines are written in batches (logging.bufferMs, 200 ms by default): wait for the batch.
  const logs = await eventually(async () => {
    const text = gws[0].stdout() + gws[0].stderr();
    return /redis store: connection restored/.test(text) && text;
  }, 20_000);
  assert.match(logs, /redis store: connection lost/);
  alive();
});

test('PostgreSQL cut mid-load: records buffered and all written when it returns; ' +
  'beyond the bound, dropped and counted', {
  skip,
  timeout: 40_000,
}, async () => {
  const sent: Array<{ prompt_tokens: number; completion_tokens: number }> = [];
  const ask = async (g: Instance, key: string, i: number) => {
    const r = await g.chat(key, user(`pg fault ${key.slice(10, 14)} ${i}`));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    if (key === LEDGERED) sent.push(r.json.usage);
    return r;
  };
  await Promise.all(Array.from({ length: 20 }, (_, i) => ask(gws[i % 2], LEDGERED, i)));
  await eventually(async () => (await gws[0].admin('GET', '/admin/usage?key=ledgered')).json?.totals?.requests === 20);
  // Every earlier record written before the cut: on a loaded machine a batch from the tests above may
  // still be in flight, and it would count against the third instance's bound of 10.
  for (const g of gws)
    await eventually(async () => {
      const c = (await g.get('/ready')).json.checks.ledger;
      return c.state === 'up' && c.buffered === 0;
    });

  await proxy.cut();
  const during = await Promise.all([
    ...Array.from({ length: 30 }, (_, i) => ask(gws[i % 2], LEDGERED, 100 + i)),
    ...Array.from({ length: 25 }, (_, i) => ask(gws[2], OVERFLOW, i)),
  ]);
  assert.equal(during.length, 55, 'every request answered while PostgreSQL is unreachable');
  const r1 = await eventually(async () => {
    const r = await gws[0].get('/ready');
    return r.json.checks.ledger.state === 'down' && r;
  });
  assert.equal(r1.status, 200);
  assert.ok(r1.json.checks.ledger.buffered > 0);
  assert.equal(r1.json.checks.ledger.dropped, 0);
  const r3 = await eventually(async () => {
    const r = await gws[2].get('/ready');
    return r.json.checks.ledger.dropped === 15 && r;
  }).catch(async (e) => {
    throw new Error(`${e.message}: ${(await gws[2].get('/ready')).text}`);
  });
  assert.equal(r3.json.checks.ledger.buffered, 10);
  assert.equal(metric((await gws[2].get('/metrics', ADMIN)).text, 'switchyard_ledger_dropped_records_total'), 15);
  assert.equal((await gws[0].admin('GET', '/admin/usage')).status, 503, 'usage reads say the ledger is unavailable');
  // log lines are written in batches (logging.bufferMs), so the warning shows up a moment later
  await eventually(async () => /buffer full while PostgreSQL is unreachable/.test(gws[2].stdout() + gws[2].stderr()));
  alive();

  await proxy.open();
  for (const g of gws)
    await eventually(
      async () => {
        const c = (await g.get('/ready')).json.checks.ledger;
        return c.state === 'up' && c.buffered === 0;
      },
      20_000,
      50,
    );
  const totals = (await gws[1].admin('GET', '/admin/usage?key=ledgered')).json.totals;
  assert.deepEqual(
    {
      requests: totals.requests,
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      costPusd: Math.round(totals.costUsd * 1e12),
    },
    {
      requests: 50,
      inputTokens: sent.reduce((s, u) => s + u.prompt_tokens, 0),
      outputTokens: sent.reduce((s, u) => s + u.completion_tokens, 0),
      costPusd: sent.reduce((s, u) => s + pusdOf(u), 0),
    },
    'nothing lost within the bound',
  );
  assert.equal(
    (await gws[1].admin('GET', '/admin/usage?key=overflow')).json.totals.requests,
    10,
    'the bound kept 10; 15 were reported lost',
  );
  alive();
});
