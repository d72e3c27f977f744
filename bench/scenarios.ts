/**
 * The Switchyard configurations the benchmark measures. Every one talks to the emulated upstream
 * through the `openai` provider, whose key and base URL come from OPENAI_API_KEY / OPENAI_BASE_URL
 * (the bench sets both for each server process), and clients ask for `gpt-4o-mini` (priced by the
 * built-in catalog).
 *
 *   zero        zero-config: no config at all (`switchyard start` in an empty directory, or
 *               `createGateway({})`): the openai provider from the environment and the defaults
 *               (router, retry/failover with breakers, catalog, usage meter with its log line,
 *               logging at info).
 *   production  the headline: zero-config plus what a team runs in production: a virtual key with a
 *               monthly budget and an RPM limit, the SQLite usage ledger, Prometheus metrics, and
 *               the exact cache (the bench sends a unique prompt per request: the miss path, with
 *               its store write). bench/production.config.ts is the same config as a `.ts` file.
 *   all         everything on: production plus TPM and concurrency limits, project and global
 *               budgets, the semantic cache tier (n-gram embedder), static client keys beside the
 *               virtual key, and the dashboard plugin.
 *
 * Limits are set high enough never to refuse: the bench measures their cost, not their effect.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboard, openai, type SwitchyardConfig } from '../index.js';
import { BENCH_CLIENT_KEY } from './common.js';

export type GatewayScenario = 'zero' | 'production' | 'all';
export const GATEWAY_SCENARIOS: readonly GatewayScenario[] = ['zero', 'production', 'all'];

/** The model every client asks for. */
export const BENCH_MODEL = 'gpt-4o-mini';

/** Where the SQLite ledger goes: BENCH_LEDGER_PATH, else a fresh temporary directory. */
function ledgerPath(env: NodeJS.ProcessEnv): string {
  return env.BENCH_LEDGER_PATH || join(mkdtempSync(join(tmpdir(), 'switchyard-bench-ledger-')), 'usage.db');
}

export function productionConfig(env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  return {
    providers: [openai()],
    governance: {
      keys: [
        {
          id: 'bench-app',
          key: BENCH_CLIENT_KEY,
          project: 'bench',
          budgets: [{ limitUsd: 1_000_000, period: 'month' }],
          limits: { requestsPerMinute: 100_000_000 },
        },
      ],
      ledger: { path: ledgerPath(env) },
      metrics: true,
    },
    cache: {},
  };
}

export function scenarioConfig(scenario: GatewayScenario, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  switch (scenario) {
    case 'zero':
      return {};
    case 'production':
      return productionConfig(env);
    case 'all': {
      const base = productionConfig(env);
      return {
        ...base,
        auth: { keys: ['sk-bench-static-0123456789abcdef'] },
        governance: {
          ...(base.governance || {}),
          keys: [
            {
              id: 'bench-app',
              key: BENCH_CLIENT_KEY,
              project: 'bench',
              budgets: [{ limitUsd: 1_000_000, period: 'month' }],
              limits: { requestsPerMinute: 100_000_000, tokensPerMinute: 1_000_000_000, concurrent: 10_000 },
            },
          ],
          projects: { bench: { budgets: [{ limitUsd: 10_000_000, period: 'month' }] } },
          budgets: { global: [{ limitUsd: 100_000_000, period: 'month' }] },
        },
        cache: { semantic: true },
        plugins: [dashboard({ adminKey: 'sk-bench-admin-0123456789abcdef' })],
      };
    }
  }
}
