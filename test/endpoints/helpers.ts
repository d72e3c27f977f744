/** Shared setup for the endpoint tests: the emulated OpenAI API, the mock, governance with three keys. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { mock, openai, type Plugin, type SwitchyardConfig } from '../../index.js';
import type { UsageRecord } from '../../core/usage.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

export const ADMIN_KEY = 'admin-key-endpoints-0123456789';
export const APP_KEY = 'sk-endpoints-app-0000000000000001';
/** A key whose budget (a millionth of a dollar) cannot hold any priced request. */
export const POOR_KEY = 'sk-endpoints-poor-000000000000002';
/** A key allowed one request per minute. */
export const RPM_KEY = 'sk-endpoints-rpm-0000000000000003';

export interface Env {
  emu: OpenAIEmulator;
  t: TestGateway;
  dbPath: string;
  records: UsageRecord[];
  client(key?: string): OpenAI;
  /** The meter record of the request with this x-request-id, once metered. */
  record(requestId: string): Promise<UsageRecord>;
  admin(path: string): Promise<any>;
  close(): Promise<void>;
}

export async function startEnv(
  server: { uploadLimit?: number } = {},
  extra: Partial<SwitchyardConfig> = {},
): Promise<Env> {
  const emu = await startOpenAIEmulator();
  const dbPath = join(mkdtempSync(join(tmpdir(), 'sy-endpoints-')), 'usage.db');
  const records: UsageRecord[] = [];
  const capture: Plugin = {
    name: 'capture',
    apply: (gw) => {
      gw.hooks.meter.tapPromise({ name: 'capture', stage: gw.Stage.LAST }, async (r) => {
        records.push({ ...r });
      });
    },
  };
  let t: TestGateway;
  try {
    t = await startGateway({
      server,
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url }), mock()],
      failover: false,
      plugins: [capture],
      governance: {
        adminKey: ADMIN_KEY,
        keys: [
          { id: 'app', key: APP_KEY },
          { id: 'poor', key: POOR_KEY, budgets: [{ limitUsd: 0.000001 }] },
          { id: 'rpm', key: RPM_KEY, limits: { requestsPerMinute: 1 } },
        ],
        ledger: { path: dbPath, flushIntervalMs: 50 },
      },
      ...extra,
    });
  } catch (e) {
    await emu.close();
    throw e;
  }
  return {
    emu,
    t,
    dbPath,
    records,
    client: (key = APP_KEY) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 }),
    async record(requestId) {
      await eventually(() => records.some((r) => r.requestId === requestId), 5000);
      return records.find((r) => r.requestId === requestId)!;
    },
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

/** Status and OpenAI error body of a call expected to fail. */
export async function failure(p: Promise<unknown>): Promise<{ status: number; error: any }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return { status: e.status ?? 0, error: e.error };
    throw e;
  }
  throw new Error('the call succeeded');
}

/** The ledger's rows for a key, grouped by model, once `n` requests of that key are in it. */
export async function ledgerByModel(
  env: Env,
  key: string,
  n: number,
): Promise<Record<string, { requests: number; costUsd: number }>> {
  let res: any;
  for (let i = 0; i < 100; i++) {
    res = await env.admin(`/admin/usage?key=${key}&group_by=model`);
    if (res.totals?.requests >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return Object.fromEntries(res.groups.map((g: any) => [g.group.model, { requests: g.requests, costUsd: g.costUsd }]));
}
