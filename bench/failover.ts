/**
 * Failover benchmark: time to fail over when the first target refuses connections, times out
 * (per-attempt timeout), or answers 503, with the circuit breaker closed (every request tries the
 * bad target first) and open (the bad target is skipped). Prints a markdown table.
 *
 *   tsx bench/failover.ts [requests=300]
 *
 * "overhead" is the gateway's total time minus the time spent inside attempts (from the meter
 * record's attemptLog): what failover itself adds beyond the failed attempt. "vs healthy" is the
 * client-measured median minus the median of the same request sent straight to the healthy target.
 */
import { request } from 'undici';
import { createGateway, openai, type Plugin } from '../index.js';
import type { FailoverConfig } from '../core/config-types.js';
import type { UsageRecord } from '../core/usage.js';
import { startOpenAIEmulator } from '../test/emulators/openai.js';
import { closedPort } from '../test/routing/helpers.js';

const N = Number(process.argv[2] ?? 300);
const TIMEOUT_MS = 50;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function scenario(name: string, badURL: string, goodURL: string, failover: FailoverConfig, n: number) {
  const records: UsageRecord[] = [];
  const capture: Plugin = {
    name: 'capture',
    apply: (gw) => {
      gw.hooks.meter.tap('capture', (r) => {
        records.push(r);
      });
    },
  };
  const gw = await createGateway({
    providers: [
      openai({ name: 'bad', apiKey: 'test-key', baseURL: badURL, models: ['m'] }),
      openai({ name: 'good', apiKey: 'test-key', baseURL: goodURL, models: ['m'] }),
    ],
    routing: { aliases: { x: ['bad/m', 'good/m'] } },
    failover,
    meter: { log: false },
    logging: { level: 'silent' },
    plugins: [capture],
  });
  const { url } = await gw.listen({ port: 0 });
  const send = async (model: string) => {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'echo: ok' }] }),
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${name}: status ${res.statusCode}`);
    return { ms: performance.now() - t0, attempts: Number(res.headers['x-switchyard-attempts']) };
  };
  for (let i = 0; i < 20; i++) await send('good/m'); // warm the pool and the JIT
  await send('x'); // trips the breaker when it is on
  const base: number[] = [];
  const total: number[] = [];
  const attempts: number[] = [];
  records.length = 0;
  for (let i = 0; i < n; i++) {
    base.push((await send('good/m')).ms);
    const r = await send('x');
    total.push(r.ms);
    attempts.push(r.attempts);
  }
  await new Promise((r) => setTimeout(r, 20));
  const fail = records.filter((r) => r.requestedModel === 'x');
  const failedAttempt = fail.map((r) =>
    r.attemptLog!.filter((a) => a.status !== 200).reduce((s, a) => s + a.latencyMs, 0),
  );
  const overhead = fail.map((r) => r.latencyMs - r.attemptLog!.reduce((s, a) => s + a.latencyMs, 0));
  const baseOverhead = records
    .filter((r) => r.requestedModel === 'good/m')
    .map((r) => r.latencyMs - r.attemptLog!.reduce((s, a) => s + a.latencyMs, 0));
  await gw.close();
  return {
    name,
    n,
    attempts: median(attempts),
    healthy: r2(median(base)),
    total: r2(median(total)),
    totalP99: r2(p99(total)),
    vsHealthy: r2(median(total) - median(base)),
    failedAttempt: r2(median(failedAttempt)),
    overhead: r2(median(overhead) - median(baseOverhead)),
  };
}

const good = await startOpenAIEmulator();
const hang = await startOpenAIEmulator({ behaviour: { hang: true } });
const down = await startOpenAIEmulator({ behaviour: { status: 503 } });
const refused = `http://127.0.0.1:${await closedPort()}/v1`;
const closed = { retries: 0, breaker: false as const };
const open = { retries: 0, breaker: { failureThreshold: 1, cooldownMs: 600_000 } };
const rows = [
  await scenario('connection refused, breaker closed', refused, good.url, closed, N),
  await scenario('connection refused, breaker open', refused, good.url, open, N),
  await scenario(
    `timeout (${TIMEOUT_MS} ms per attempt), breaker closed`,
    hang.url,
    good.url,
    { ...closed, attemptTimeoutMs: TIMEOUT_MS },
    Math.min(N, 60),
  ),
  await scenario(
    `timeout (${TIMEOUT_MS} ms per attempt), breaker open`,
    hang.url,
    good.url,
    { ...open, attemptTimeoutMs: TIMEOUT_MS },
    N,
  ),
  await scenario('503, breaker closed', down.url, good.url, closed, N),
  await scenario('503, breaker open', down.url, good.url, open, N),
];
await Promise.all([good.close(), hang.close(), down.close()]);

console.log(
  '| scenario | requests | attempts | healthy target alone (median ms) | with failover (median / p99 ms) | ' +
    'added vs healthy (ms) | failed attempt (ms) | failover overhead beyond the failed attempt (ms) |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.n} | ${r.attempts} | ${r.healthy} | ${r.total} / ${r.totalP99} | ${r.vsHealthy} | ` +
      `${r.failedAttempt} | ${r.overhead} |`,
  );
}
console.log(
  `\nNode ${process.version}, ${process.platform}/${process.arch}; ` +
    'upstreams are local OpenAI emulators (test/emulators/openai.ts); retries: 0.',
);
