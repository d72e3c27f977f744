/** Shared setup for the governance tests: an emulated OpenAI, a gateway with a governance section, admin calls. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { openai, type SwitchyardConfig } from '../../index.js';
import type { GovernanceConfig } from '../../plugins/governance/types.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const ADMIN_KEY = 'admin-key-0123456789abcdef';

export interface Env {
  emu: OpenAIEmulator;
  t: TestGateway;
  dbPath: string;
  client(key: string): OpenAI;
  admin(
    method: string,
    path: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'sy-gov-')), 'usage.db');
}

export async function startEnv(
  gov: GovernanceConfig,
  extra: Partial<SwitchyardConfig> = {},
  opts: { dbPath?: string; emu?: OpenAIEmulator } = {},
): Promise<Env> {
  const emu = opts.emu ?? (await startOpenAIEmulator());
  const dbPath = opts.dbPath ?? tempDb();
  let t: TestGateway;
  try {
    t = await startGateway({
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
      failover: false,
      governance: { adminKey: ADMIN_KEY, ...gov, ledger: { path: dbPath, flushIntervalMs: 50, ...gov.ledger } },
      ...extra,
    });
  } catch (e) {
    if (!opts.emu) await emu.close(); // a gateway that fails to start must not leave the emulator open
    throw e;
  }
  return {
    emu,
    t,
    dbPath,
    client: (key) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 }),
    async admin(method, path, body, key = ADMIN_KEY) {
      const res = await fetch(`${t.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async close() {
      await t.close();
      if (!opts.emu) await emu.close();
    },
  };
}

export const ask = (client: OpenAI, content: string, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content }],
    max_tokens: 16,
    ...extra,
  } as any);

/** Status of a rejected openai-client call. */
export async function statusOf(p: Promise<unknown>): Promise<{ status: number; error: any; headers: any }> {
  try {
    await p;
    return { status: 200, error: undefined, headers: undefined };
  } catch (e: any) {
    return { status: e.status, error: e.error, headers: e.headers };
  }
}
