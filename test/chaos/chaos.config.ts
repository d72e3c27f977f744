/**
 * The gateway of the chaos test (test/chaos/chaos.test.ts): an OpenAI-compatible upstream that
 * misbehaves on demand (SY_EMU_URL), a private Redis (store, cache, budgets, limits, concurrency)
 * and PostgreSQL through a proxy the test cuts (the ledger). Everything per run comes from SY_*.
 */
import { defineConfig, openaiCompatible, postgresLedger, redis, sharedGovernance } from '../../index.js';

const env = (k: string, d = '') => process.env[k] ?? d;

const store = redis({
  url: env('SY_REDIS_URL'),
  prefix: env('SY_REDIS_PREFIX', 'chaos:'),
  maxBackoffMs: 200,
  commandTimeoutMs: 1000, // a loaded CI machine must not look like an outage
});
const ledger = postgresLedger({
  url: env('SY_PG_URL', 'postgres://root@127.0.0.1:5432/test'),
  schema: env('SY_PG_SCHEMA', 'switchyard_chaos'),
  retryMs: 50,
  maxRetryMs: 200,
  connectTimeoutMs: 500,
});

export default defineConfig({
  server: { port: 0, shutdownTimeoutMs: 300 },
  store,
  providers: [openaiCompatible({ name: 'emu', baseURL: env('SY_EMU_URL'), apiKey: 'k', models: ['gpt-4o-mini'] })],
  catalog: { providers: { emu: { sameAs: 'openai' } } },
  failover: { retries: 0, backoffMs: 1, breaker: { failureThreshold: 1000, cooldownMs: 1000 } },
  cache: {},
  logging: { level: 'info' },
  plugins: sharedGovernance(
    {
      adminKey: 'chaos-admin-key-0123456789abcdef',
      keys: [
        { id: 'free', key: 'sk-chaos-free-00000000000000001' },
        { id: 'budgeted', key: 'sk-chaos-budget-0000000000000001', budgets: [{ limitUsd: 0.0002, period: 'day' }] },
        { id: 'limited', key: 'sk-chaos-limited-000000000000001', limits: { requestsPerMinute: 5, concurrent: 2 } },
      ],
      ledger: { flushIntervalMs: 50 },
    },
    { store, ledger },
  ),
});
