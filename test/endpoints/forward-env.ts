/**
 * Shared setup of the forwarded-endpoint tests: the emulated OpenAI, Azure OpenAI, Anthropic and Cohere APIs,
 * a gateway with governance (keys below) and a meter tap that keeps every record.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import {
  anthropic,
  azureOpenAI,
  cohere,
  definePlugin,
  openai,
  type SwitchyardConfig,
  type UsageRecord,
} from '../../index.js';
import type { GovernanceConfig } from '../../plugins/governance/types.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';
import { startAzureOpenAIEmulator, type AzureOpenAIEmulator } from '../emulators/azure-openai.js';
import { startCohereEmulator, type CohereEmulator } from '../emulators/cohere.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const KEYS = {
  a: 'sk-forward-key-a-000000000001',
  b: 'sk-forward-key-b-000000000002',
  anthropicOnly: 'sk-forward-key-anth-00000003',
  poor: 'sk-forward-key-poor-00000004',
  slow: 'sk-forward-key-rpm-000000005',
};

export const governanceKeys: GovernanceConfig['keys'] = [
  { id: 'key-a', key: KEYS.a, budgets: [{ limitUsd: 100 }] },
  { id: 'key-b', key: KEYS.b, budgets: [{ limitUsd: 100 }] },
  { id: 'key-anth', key: KEYS.anthropicOnly, models: ['anthropic/*'] },
  { id: 'key-poor', key: KEYS.poor, budgets: [{ limitUsd: 0.005 }] },
  { id: 'key-rpm', key: KEYS.slow, limits: { requestsPerMinute: 2 } },
];

export interface ForwardEnv {
  emu: OpenAIEmulator;
  azure: AzureOpenAIEmulator;
  anth: AnthropicEmulator;
  cohere: CohereEmulator;
  t: TestGateway;
  dbPath: string;
  records: UsageRecord[];
  client(key: string): OpenAI;
  close(): Promise<void>;
}

export async function startForwardEnv(extra: Partial<SwitchyardConfig> = {}): Promise<ForwardEnv> {
  const [emu, azure, anth, co] = await Promise.all([
    startOpenAIEmulator(),
    startAzureOpenAIEmulator(),
    startAnthropicEmulator(),
    startCohereEmulator(),
  ]);
  const closeEmulators = () => Promise.all([emu.close(), azure.close(), anth.close(), co.close()]);
  const dbPath = join(mkdtempSync(join(tmpdir(), 'sy-fwd-')), 'usage.db');
  const records: UsageRecord[] = [];
  const capture = definePlugin({
    name: 'capture',
    apply(gw) {
      gw.hooks.meter.tap({ name: 'capture', stage: gw.Stage.LAST }, (r) => {
        records.push(r);
      });
    },
  })({});
  let t: TestGateway;
  try {
    t = await startGateway({
      providers: [
        openai({ apiKey: 'test-key', baseURL: emu.url }),
        anthropic({ apiKey: 'test-key', baseURL: anth.url }),
        cohere({ apiKey: 'test-key', baseURL: co.url }),
        azureOpenAI({
          apiKey: 'test-key',
          endpoint: azure.url,
          apiVersion: '2024-10-21',
          deployments: { 'gpt-4o-mini': 'mini' },
        }),
      ],
      failover: false,
      passthrough: { estimateUsd: 0.01, maxBodyBytes: 1024 * 1024 },
      governance: {
        adminKey: 'admin-key-forward-0123456789',
        keys: governanceKeys,
        ledger: { path: dbPath, flushIntervalMs: 50 },
      },
      plugins: [capture],
      ...extra,
    });
  } catch (e) {
    await closeEmulators();
    throw e;
  }
  return {
    emu,
    azure,
    anth,
    cohere: co,
    t,
    dbPath,
    records,
    client: (key) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000 }),
    async close() {
      await t.close();
      await closeEmulators();
    },
  };
}

/** A raw HTTP request whose path is sent exactly as given (fetch would normalise `..`). */
export function rawRequest(
  url: string,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string,
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), headers: res.headers }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
