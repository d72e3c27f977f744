/**
 * The setup of the rerank tests: emulated Cohere, Jina, Voyage, Bedrock (runtime and agent runtime) and OpenAI
 * (for the units of an image and a speech request), a gateway with governance (three keys: app, a poor
 * one, one request per minute), failover, an alias over a failing and a working reranker, and a meter capture.
 * The ledger is SQLite in a temporary file unless one is given (the PostgreSQL test passes its own).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bedrock, cohere, jina, mock, openai, voyage, type Plugin, type SwitchyardConfig } from '../../index.js';
import type { Ledger } from '../../plugins/governance/index.js';
import type { UsageRecord } from '../../core/usage.js';
import { EMULATOR_CREDENTIALS, startBedrockEmulator } from '../emulators/bedrock.js';
import { startCohereEmulator, type CohereEmulator } from '../emulators/cohere.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startRerankEmulator, type RerankEmulator } from '../emulators/rerank.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

export const ADMIN_KEY = 'admin-key-rerank-0123456789';
export const APP_KEY = 'sk-rerank-app-0000000000000001';
export const POOR_KEY = 'sk-rerank-poor-000000000000002';
export const RPM_KEY = 'sk-rerank-rpm-0000000000000003';

export interface RerankEnv {
  t: TestGateway;
  cohere: CohereEmulator;
  jina: RerankEmulator;
  voyage: RerankEmulator;
  bedrock: Awaited<ReturnType<typeof startBedrockEmulator>>;
  media: OpenAIEmulator;
  records: UsageRecord[];
  /** POST a JSON body; the status, headers and parsed answer. */
  post(path: string, body: unknown, key?: string | null): Promise<{ status: number; headers: Headers; json: any }>;
  record(requestId: string): Promise<UsageRecord>;
  admin(path: string): Promise<Response>;
  close(): Promise<void>;
}

export async function startRerankEnv(ledger?: Ledger): Promise<RerankEnv> {
  const [co, ji, vo, br, media] = await Promise.all([
    startCohereEmulator(),
    startRerankEmulator('jina'),
    startRerankEmulator('voyage'),
    startBedrockEmulator(),
    startOpenAIEmulator(),
  ]);
  const records: UsageRecord[] = [];
  const capture: Plugin = {
    name: 'capture',
    apply: (gw) => {
      gw.hooks.meter.tapPromise({ name: 'capture', stage: gw.Stage.LAST }, async (r) => {
        records.push({ ...r });
      });
    },
  };
  const config: SwitchyardConfig = {
    providers: [
      cohere({ apiKey: 'test-key', baseURL: co.url }),
      jina({ apiKey: 'test-key', baseURL: ji.url }),
      voyage({ apiKey: 'test-key', baseURL: vo.url }),
      bedrock({ region: 'us-east-1', ...EMULATOR_CREDENTIALS, baseURL: br.url, agentRuntimeBaseURL: br.url }),
      openai({ apiKey: 'test-key', baseURL: media.url }),
      mock(),
    ],
    routing: { aliases: { 'rerank-any': ['cohere/error-503', 'voyage/rerank-2.5'] } },
    failover: { retries: 0 },
    plugins: [capture],
    governance: {
      adminKey: ADMIN_KEY,
      keys: [
        { id: 'app', key: APP_KEY },
        { id: 'poor', key: POOR_KEY, budgets: [{ limitUsd: 0.000001 }] },
        { id: 'rpm', key: RPM_KEY, limits: { requestsPerMinute: 1 } },
      ],
      ledger: { path: join(mkdtempSync(join(tmpdir(), 'sy-rerank-')), 'usage.db'), flushIntervalMs: 50 },
    },
    ...(ledger ? { ledger } : {}),
    logging: { level: 'info' },
  } as SwitchyardConfig;
  let t: TestGateway;
  try {
    t = await startGateway(config);
  } catch (e) {
    await Promise.all([co.close(), ji.close(), vo.close(), br.close(), media.close()]);
    throw e;
  }
  return {
    t,
    cohere: co,
    jina: ji,
    voyage: vo,
    bedrock: br,
    media,
    records,
    async post(path, body, key = APP_KEY) {
      const res = await fetch(t.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, json: await res.json() };
    },
    async record(requestId) {
      await eventually(() => records.some((r) => r.requestId === requestId), 5000);
      return records.find((r) => r.requestId === requestId)!;
    },
    admin: (path) => fetch(t.url + path, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }),
    async close() {
      await t.close();
      await Promise.all([co.close(), ji.close(), vo.close(), br.close(), media.close()]);
    },
  };
}

export const QUERY = 'What is the capital of the United States?';
export const DOCS = [
  'Carson City is the capital city of the American state of Nevada.',
  'Washington, D.C. is the capital of the United States.',
  'Capital punishment has existed in the United States since before it was a country.',
];

/**
 * A rerank, an image and a speech request through HTTP, then their rows in the ledger (the records' CSV
 * export): each with its units. Returns the three rows' `units` cells.
 */
export async function unitsInLedger(env: RerankEnv): Promise<{ rerank: string; image: string; speech: string }> {
  const rr = await env.post('/v1/rerank', { model: 'rerank-v3.5', query: QUERY, documents: DOCS });
  const img = await env.post('/v1/images/generations', {
    model: 'dall-e-3',
    prompt: 'a lighthouse',
    size: '1024x1024',
  });
  const speech = await fetch(`${env.t.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_KEY}` },
    body: JSON.stringify({ model: 'tts-1', input: 'Hello there, world', voice: 'alloy' }),
  });
  await speech.arrayBuffer();
  if (rr.status !== 200 || img.status !== 200 || speech.status !== 200)
    throw new Error(`statuses ${rr.status} ${img.status} ${speech.status}`);
  const ids = [rr.headers.get('x-request-id')!, img.headers.get('x-request-id')!, speech.headers.get('x-request-id')!];
  let lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    const csv = await (await env.admin('/admin/usage?key=app&format=csv')).text();
    lines = csv.trim().split('\n');
    if (ids.every((id) => lines.some((l) => l.includes(id)))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const head = lines[0].split(',');
  const cell = (id: string) => {
    const line = lines.find((l) => l.includes(id));
    if (!line) throw new Error(`no ledger row for ${id}`);
    return line.split(',')[head.indexOf('units')];
  };
  return { rerank: cell(ids[0]), image: cell(ids[1]), speech: cell(ids[2]) };
}
