/**
 * A scale-out config: N identical instances share Redis (budgets, rate limits, concurrency, cache,
 * breakers, revocations) and PostgreSQL (usage ledger, runtime keys). See docs/deploy.md.
 *
 *   REDIS_URL=redis://... DATABASE_URL=postgres://... SWITCHYARD_ADMIN_KEY=... OPENAI_API_KEY=... \
 *   npx switchyard start --config deploy/switchyard.config.ts
 *
 * In your own project, import from 'switchyard' instead of the relative path.
 */
import { defineConfig, openai, postgresLedger, redis, sharedGovernance } from '../index.js';

const store = redis({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.REDIS_PREFIX ?? 'switchyard:',
  // What each feature does while Redis is unreachable (these are the defaults).
  onOutage: { rateLimits: 'open', budgets: 'closed', cache: 'open', keys: 'open' },
});
const ledger = postgresLedger({ url: process.env.DATABASE_URL, schema: 'switchyard', maxBuffered: 100_000 });

export default defineConfig({
  server: { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 4000) },
  providers: [openai()],
  store,
  cache: {},
  plugins: sharedGovernance({
    adminKey: process.env.SWITCHYARD_ADMIN_KEY,
    limits: { perKey: { requestsPerMinute: 600, concurrent: 50 } },
    ledger: { retentionDays: 90 },
  }, { store, ledger }),
});
