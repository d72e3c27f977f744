/**
 * A gateway with governance and the dashboard in front of an emulated OpenAI, for the browser tests and
 * screenshots.
 */
import OpenAI from 'openai';
import { dashboard, openai, type SwitchyardConfig } from '../../index.js';
import type { DashboardOptions } from '../../plugins/dashboard/index.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { tempDb } from '../governance/helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const ADMIN_KEY = 'dashboard-admin-key-0123456789';
export const WEB_KEY = 'sk-dash-web-000000000000000001';
export const BATCH_KEY = 'sk-dash-batch-00000000000000002';

export interface DashEnv {
  emu: OpenAIEmulator;
  t: TestGateway;
  url: string;
  dbPath: string;
  client(key: string): OpenAI;
  admin(path: string): Promise<any>;
  close(): Promise<void>;
}

/** Budget limits (USD) of the key web-app, the project web (per day) and the gateway (per month). */
export interface Limits {
  key: number;
  project: number;
  global: number;
}

export async function startDashEnv(
  opts: { dashboard?: DashboardOptions; extra?: Partial<SwitchyardConfig>; dbPath?: string; limits?: Limits } = {},
): Promise<DashEnv> {
  const limits = opts.limits ?? { key: 0.001, project: 5, global: 100 };
  const emu = await startOpenAIEmulator();
  const dbPath = opts.dbPath ?? tempDb();
  // A gateway that fails to start must not leave the emulator listening (the test file would hang).
  const t = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
    failover: { retries: 0 },
    cache: { ttlSeconds: 60 },
    governance: {
      adminKey: ADMIN_KEY,
      keys: [
        {
          id: 'web-app',
          key: WEB_KEY,
          name: 'Web storefront', // the Budgets page shows it, with the id as secondary text
          project: 'web',
          budgets: [{ limitUsd: limits.key, period: 'month', alertAt: [25, 50, 90] }],
        },
        { id: 'batch-job', key: BATCH_KEY, project: 'batch' },
      ],
      projects: { web: { budgets: [{ limitUsd: limits.project, period: 'day' }] } },
      budgets: { global: [{ limitUsd: limits.global, period: 'month' }] },
      endUsers: {}, // attribution only: the Costs page's "By user"
      ledger: { path: dbPath, flushIntervalMs: 50 },
    },
    plugins: [dashboard(opts.dashboard ?? {})],
    ...opts.extra,
  }).catch(async (e: unknown) => {
    await emu.close();
    throw e;
  });
  return {
    emu,
    t,
    url: t.url,
    dbPath,
    client: (key) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 }),
    async admin(path) {
      const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      return res.json();
    },
    async close() {
      await t.close();
      await emu.close();
    },
  };
}
