/**
 * Redis store benchmark: the same gateway (governance with an RPM limit, a concurrency limit and a
 * monthly budget on the key; the exact cache on, every request a miss) with the in-memory stores
 * and with the Redis store (the governance QuotaStore, cache and breaker state in Redis), both
 * over an in-memory SQLite ledger so that only the store differs. The provider is the in-process
 * mock (no network), so the numbers are the gateway's own cost. Also the raw round trip of the
 * store operations a request makes. Prints a markdown section and, with --write, replaces the
 * "## Redis store" section at the end of docs/benchmarks.md.
 *
 *   tsx bench/redis.ts [--requests=2000] [--seconds=5] [--concurrency=32] [--redis=redis://127.0.0.1:6379] [--write]
 */
import os from 'node:os';
import { request } from 'undici';
import {
  createGateway,
  governance,
  mock,
  redis,
  sharedGovernance,
  SqliteLedger,
  type SwitchyardConfig,
} from '../index.js';
import { replaceDocSection } from './report.js';

const arg = (name: string, d: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d;
const N = Number(arg('requests', '2000'));
const SECONDS = Number(arg('seconds', '5'));
const CONC = Number(arg('concurrency', '32'));
const REDIS = arg('redis', 'redis://127.0.0.1:6379');
const KEY = 'sk-bench-redis-key-0000000000001';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

const gov = {
  keys: [
    {
      id: 'bench',
      key: KEY,
      limits: { requestsPerMinute: 10_000_000, concurrent: 10_000 },
      budgets: [{ limitUsd: 1_000_000, period: 'month' as const }],
    },
  ],
  metrics: false as const,
};

async function run(name: string, config: SwitchyardConfig) {
  const gw = await createGateway({
    providers: [mock()],
    cache: {},
    meter: { log: false },
    logging: { level: 'silent' },
    ...config,
  });
  const { url } = await gw.listen({ port: 0 });
  let i = 0;
  const send = async () => {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        model: 'mock-small',
        max_tokens: 16,
        messages: [{ role: 'user', content: `bench ${name} ${i++} ${Math.random()}` }],
      }),
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${name}: status ${res.statusCode}`);
    return performance.now() - t0;
  };
  for (let k = 0; k < 200; k++) await send(); // warm-up
  const lat: number[] = [];
  for (let k = 0; k < N; k++) lat.push(await send());
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (performance.now() < end) {
        await send();
        done++;
      }
    }),
  );
  await gw.close();
  return { name, p50: r2(pct(lat, 0.5)), p99: r2(pct(lat, 0.99)), rps: Math.round(done / SECONDS) };
}

async function ops() {
  const store = redis({ url: REDIS, prefix: `bench:${process.pid}:`, commandTimeoutMs: 1000 });
  if (!(await store.ready(10_000))) throw new Error(`Redis at ${REDIS} is not reachable`);
  const q = store.quota();
  const time = async (fn: () => Promise<unknown>, n = 2000) => {
    for (let k = 0; k < 100; k++) await fn();
    const xs: number[] = [];
    for (let k = 0; k < n; k++) {
      const t0 = performance.now();
      await fn();
      xs.push(performance.now() - t0);
    }
    if (!store.up) throw new Error('Redis went away during the measurement');
    return `${r2(pct(xs, 0.5) * 1000)} / ${r2(pct(xs, 0.99) * 1000)}`;
  };
  const rows = [
    ['Store get (cache lookup, miss)', await time(() => store.get('cache:v2:nothing'))],
    ['Store set with PX TTL (cache store, 1 KB)', await time(() => store.set('cache:v2:x', 'x'.repeat(1000), 60_000))],
    ['Store increment (breaker window, Lua)', await time(() => store.increment('breaker:t:w', 1, 60_000))],
    [
      'QuotaStore.acquire + release (concurrency)',
      await time(async () => {
        await q.acquire([{ key: 'c', limit: 1e9 }]);
        await q.release(['c']);
      }),
    ],
    [
      'QuotaStore.rate (GCRA, 1 key)',
      await time(() => q.rate([{ key: 'r', cost: 1, limit: 1e9, windowMs: 60_000 }], Date.now())),
    ],
    [
      'QuotaStore.reserve + settle (budget, 1 key)',
      await time(async () => {
        await q.reserve([{ key: 'b', amount: 10, limit: 1e15 }]);
        await q.settle([{ key: 'b', reserved: 10, actual: 5 }]);
      }),
    ],
  ];
  const keys = await store.client.keys('*');
  if (keys.length) await store.client.del(...keys.map((k) => k.slice(store.prefix.length)));
  await store.close();
  return rows;
}

const memory = await run('in-memory', { plugins: [governance(gov, { ledger: new SqliteLedger(':memory:') })] });
const store = redis({ url: REDIS, prefix: `bench:${process.pid}:gw:`, commandTimeoutMs: 1000 });
const withRedis = await run('redis', {
  store,
  plugins: sharedGovernance(gov, { store, ledger: new SqliteLedger(':memory:') }),
});
const opRows = await ops();

const lines = [
  '## Redis store',
  '',
  `Written by \`tsx bench/redis.ts --write\` (${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} ` +
    `CPUs, ${os.cpus()[0]?.model.trim()}; Node ${process.version}; Redis on loopback, ${REDIS}).`,
  'Same gateway twice: governance (an RPM limit, a concurrency limit and a monthly budget on the key) and ' +
    'the exact cache (every request a miss: lookup + store),',
  'first with the in-memory stores, then with `store: redis(...)` + `sharedGovernance` (quota, cache and ' +
    'breaker state in Redis). Both use an in-memory SQLite ledger,',
  'and the in-process mock provider, so the difference is the store alone. The machine is shared with other ' +
    'work: compare the rows, not the absolute numbers.',
  'Command timeout 1000 ms here (default 100 ms): on this loaded 2-CPU machine event-loop stalls above ' +
    '100 ms occur, and would count as outages.',
  '',
  `| Store | p50 latency (ms), sequential, ${N} requests | p99 (ms) | Throughput (req/s), ${CONC} ` +
    `concurrent, ${SECONDS} s |`,
  '|---|---|---|---|',
  ...[memory, withRedis].map((r) => `| ${r.name} | ${r.p50} | ${r.p99} | ${r.rps} |`),
  '',
  `Added latency per request with Redis: **${r2(withRedis.p50 - memory.p50)} ms** at the median ` +
    `(${r2(withRedis.p99 - memory.p99)} ms at p99); throughput ` +
    `${Math.round((withRedis.rps / memory.rps) * 100)} % of in-memory.`,
  'A governed, cached request makes about 7 Redis round trips, each one command or Lua script: acquire, ' +
    'rate, reserve, cache get, cache set, release, settle. The revocation list is read locally, and a healthy ' +
    "target's circuit breaker costs no round trip per request (its state is re-read at most once a second, its " +
    'successes added to Redis once a second).',
  '',
  '| Operation (one round trip) | p50 / p99 (µs) |',
  '|---|---|',
  ...opRows.map(([n, v]) => `| ${n} | ${v} |`),
  '',
];
const section = lines.join('\n');
console.log(section);
if (process.argv.includes('--write')) replaceDocSection('Redis store', section);
process.exit(0);
