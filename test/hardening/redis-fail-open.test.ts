/**
 * Issue 14, defect 7: with Redis, rate and concurrency limits failed open under load while Redis was
 * up (49 of 300 admitted past an RPM of 5 across two instances): a 100 ms command timeout measured on
 * a busy event loop counted as an outage, and nothing was logged. Now a slow event loop is not an
 * outage (admission commands have their own, longer timeout judged after the loop has read what
 * arrived), an unreachable server still is, and every fail-open decision is logged (rate-limited).
 *
 * Two gateway processes (the real CLI) share the real Redis under a unique key prefix; their event
 * loops are kept busy (150 ms blocks) and the production default timeouts apply. The "unreachable"
 * case uses a private redis-server on a free port, stopped in `finally`.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { SlowCommand, deadline } from '../../plugins/scaleout/redis-store.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import {
  ADMIN,
  OwnRedis,
  PG_URL,
  REDIS_URL,
  dropRedisPrefix,
  dropSchema,
  eventually,
  freePort,
  runId,
  services,
  startInstances,
  stopInstance,
  user,
  type Instance,
} from '../scaleout/helpers.js';

const RPM_KEY = 'sk-hardening-rpm5-00000000000001';
const OPEN_KEY = 'sk-hardening-open-00000000000001';
const skip = await services();
const schemas: string[] = [];
const prefixes: string[] = [];
let up: OpenAIEmulator;

before(async () => {
  if (!skip) up = await startOpenAIEmulator();
});
after(async () => {
  if (skip) return;
  await up?.close();
  for (const s of schemas) await dropSchema(s).catch(() => undefined);
  for (const p of prefixes) await dropRedisPrefix(p).catch(() => undefined);
});

function envFor(redisUrl: string, keys: unknown[], extra: Record<string, string> = {}) {
  const schema = runId('sy_rfo');
  const prefix = `${runId('sy-rfo')}:`;
  schemas.push(schema);
  prefixes.push(prefix);
  return {
    SY_REDIS_URL: redisUrl,
    SY_REDIS_PREFIX: prefix,
    SY_PG_URL: PG_URL,
    SY_PG_SCHEMA: schema,
    SY_UPSTREAM: up.url,
    SY_FLAKY: up.url,
    SY_REDIS_TIMEOUT_MS: 'default',
    SY_KEYS: JSON.stringify(keys),
    ...extra,
  };
}

test('300 concurrent requests against RPM 5 over two busy instances sharing Redis: at most 5 admitted', {
  skip,
  timeout: 120_000,
}, async () => {
  const env = envFor(REDIS_URL, [{ id: 'rpm5', key: RPM_KEY, limits: { requestsPerMinute: 5, concurrent: 1000 } }], {
    SY_BUSY_MS: '150',
  });
  let gws: Instance[] = [];
  try {
    gws = await startInstances([env, env]);
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => gws[i % 2].chat(RPM_KEY, user(`rpm5 ${i}`))),
    );
    const elapsed = Date.now() - t0;
    const admitted = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429 && r.json?.error?.code === 'rate_limit_exceeded').length;
    // GCRA at 5 per minute: a burst of 5, then one more every 12 s.
    const allowed = 5 + Math.floor(elapsed / 12_000);
    assert.ok(
      admitted <= allowed,
      `admitted ${admitted} of 300 (allowed ${allowed} in ${elapsed} ms); ` +
        `statuses ${[...new Set(results.map((r) => r.status))]}`,
    );
    assert.ok(admitted >= 1, 'the limit admits its burst');
    assert.equal(admitted + refused, 300, 'every other request is a clean 429');
    for (const g of gws)
      assert.doesNotMatch(g.stdout() + g.stderr(), /failed open/, `${g.name} never failed open while Redis was up`);
  } finally {
    await Promise.all(gws.map((g) => stopInstance(g)));
  }
});

test('Redis unreachable: rate limits fail open by policy, and each fail-open decision is logged (rate-limited)', {
  skip,
  timeout: 60_000,
}, async () => {
  const own = new OwnRedis(await freePort());
  let gws: Instance[] = [];
  try {
    await own.start();
    gws = await startInstances([envFor(own.url, [{ id: 'open', key: OPEN_KEY, limits: { requestsPerMinute: 1000 } }])]);
    const g = gws[0];
    assert.equal((await g.chat(OPEN_KEY, user('before'))).status, 200);
    await own.stop();
    await eventually(async () => (await g.get('/ready')).json.checks.redis.state === 'down');
    const t0 = performance.now();
    const during = await Promise.all(Array.from({ length: 40 }, (_, i) => g.chat(OPEN_KEY, user(`open ${i}`))));
    assert.ok(
      during.every((r) => r.status === 200),
      `fail open: ${during.map((r) => r.status)}`,
    );
    assert.ok(performance.now() - t0 < 10_000, 'an unreachable server is not waited for');
    const logs = await eventually(async () => {
      const text = g.stdout();
      return /redis store: rate limits failed open/.test(text) && text;
    }, 20_000);
    const lines = logs.split('\n').filter((l) => l.includes('failed open'));
    assert.ok(lines.length >= 1 && lines.length <= 3, `rate-limited: ${lines.length} lines for 40 decisions`);
    const first = JSON.parse(lines[0]);
    assert.equal(first.feature, 'rateLimits');
    assert.equal(first.reason, 'unreachable');
    assert.ok(first.decisions >= 1);
    const metrics = (await g.get('/metrics', ADMIN)).text;
    assert.match(metrics, /switchyard_store_outage_decisions_total\{feature="rateLimits",outcome="open"\} (\d+)/);
  } finally {
    await Promise.all(gws.map((g) => stopInstance(g)));
    await own.stop();
  }
});

test('deadline(): a reply that arrived while the event loop was blocked past the timeout still counts', async () => {
  // A real socket: the peer answers at once, but this process's loop is blocked for 250 ms right
  // after sending, so the reply waits in the socket buffer while a 100 ms timer expires.
  const server = net.createServer((sock) => sock.on('data', () => sock.write('+OK\r\n')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    await once(sock, 'connect');
    const reply = once(sock, 'data').then(([d]) => String(d));
    const p = deadline(reply, 100);
    sock.write('PING\r\n');
    const end = performance.now() + 250;
    while (performance.now() < end); // a busy event loop
    assert.equal(await p, '+OK\r\n');
  } finally {
    sock.destroy();
    await new Promise((r) => server.close(r));
  }
  // a reply that never comes is a SlowCommand after about the timeout
  const t0 = performance.now();
  await assert.rejects(deadline(new Promise(() => undefined), 50), (e) => e instanceof SlowCommand);
  assert.ok(performance.now() - t0 >= 50);
});
