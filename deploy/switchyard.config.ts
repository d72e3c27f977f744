/**
 * A scale-out config: N identical instances share Redis (budgets, rate limits, concurrency, cache,
 * breakers, revocations) and PostgreSQL (usage ledger, runtime keys). See docs/deploy.md.
 *
 *   REDIS_URL=redis://... DATABASE_URL=postgres://... SWITCHYARD_ADMIN_KEY=... OPENAI_API_KEY=... \
 *   node bin/switchyard.js start --config deploy/switchyard.config.ts
 *
 * It imports the package by name, as a config in your own project does (Node resolves a package's own name).
 */
// the package's own name resolves inside it too
import { defineConfig, openai, postgresLedger, redis } from 'switchyard-gateway';

const store = redis({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.REDIS_PREFIX ?? 'switchyard:',
  // What each feature does while Redis is unreachable (these are the defaults).
  onOutage: { rateLimits: 'open', budgets: 'closed', cache: 'open', keys: 'open' },
});

export default defineConfig({
  server: { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 4000) },
  providers: [openai()],
  store,
  // The same governance section as on one instance: the shared store and this ledger make it shared.
  ledger: postgresLedger({ url: process.env.DATABASE_URL, schema: 'switchyard', maxBuffered: 100_000 }),
  cache: {},
  governance: {
    adminKey: process.env.SWITCHYARD_ADMIN_KEY,
    limits: { perKey: { requestsPerMinute: 600, concurrent: 50 } },
    ledger: { retentionDays: 90 },
  },
});
