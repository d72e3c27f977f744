/**
 * Switchyard as its own process, in one of the benchmark scenarios:
 *
 *   provider  only the provider plugin (plus the router every gateway has): failover, meter, cache
 *             and auth off, logging at warn.
 *   defaults  what createGateway adds by default (router, retry/failover, usage meter with its
 *             per-request log line), logging at info to the process's stdout (a file).
 *   all       everything on: governance (a virtual key with a budget, RPM/TPM/concurrency limits set
 *             high enough never to refuse, the SQLite usage ledger, Prometheus metrics), the cache
 *             (the bench sends a unique prompt per request, so this measures the miss path and the
 *             store), meter with logging, failover, logging at info.
 *
 *   node --import tsx bench/gateway.ts --scenario=defaults --port=PORT --upstream=http://127.0.0.1:UPORT/v1
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway } from '../index.js';
import type { SwitchyardConfig } from '../index.js';
import { openaiCompatible } from '../index.js';
import { argValue, BENCH_CLIENT_KEY, HOST } from './common.js';

export type GatewayScenario = 'provider' | 'defaults' | 'all';

export function scenarioConfig(scenario: GatewayScenario, baseURL: string): SwitchyardConfig {
  const providers = [openaiCompatible({ name: 'bench', baseURL, apiKey: 'sk-bench-upstream', models: ['bench-model'] })];
  switch (scenario) {
    case 'provider':
      return { providers, auth: false, failover: false, meter: false, cache: false, logging: { level: 'warn' } };
    case 'defaults':
      return { providers, auth: false, logging: { level: 'info' } };
    case 'all':
      return {
        providers,
        auth: false,
        governance: {
          keys: [{
            id: 'bench', key: BENCH_CLIENT_KEY, project: 'bench',
            budgets: [{ limitUsd: 1_000_000, period: 'month' }],
            limits: { requestsPerMinute: 100_000_000, tokensPerMinute: 1_000_000_000, concurrent: 10_000 },
          }],
          ledger: { path: join(mkdtempSync(join(tmpdir(), 'switchyard-bench-')), 'usage.db') },
          metrics: true,
        },
        catalog: { models: { 'bench/bench-model': { prices: { input: 0.15, output: 0.6 }, contextWindow: 128_000, maxOutputTokens: 16_384 } } },
        cache: { ttlSeconds: 300 },
        meter: { log: true },
        failover: { retries: 1 },
        logging: { level: 'info' },
      };
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const scenario = (argValue(argv, 'scenario') ?? 'defaults') as GatewayScenario;
  if (!['provider', 'defaults', 'all'].includes(scenario)) throw new Error(`unknown scenario "${scenario}"`);
  const port = Number(argValue(argv, 'port') ?? 0);
  const upstream = argValue(argv, 'upstream') ?? 'http://127.0.0.1:9000/v1';
  const gateway = await createGateway(scenarioConfig(scenario, upstream));
  await gateway.listen({ port, host: HOST });
  // Exit through process.exit so that --cpu-prof writes its profile.
  const stop = () => {
    gateway.close().catch(() => undefined).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`bench gateway failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
