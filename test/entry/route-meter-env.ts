/**
 * The setup of test/entry/route-meter.test.ts: the emulated OpenAI, Anthropic and Cohere APIs, a gateway with
 * every feature that mounts client routes (passthrough, files and batches, both built-in ingresses, governance's
 * /v1/usage and admin API, failover's /health/targets), one client key, a meter tap that keeps every record,
 * and the tiny media files the multipart routes upload (a WAV and a PNG made here).
 */
import { deflateSync } from 'node:zlib';
import { anthropic, cohere, definePlugin, openai, type UsageRecord } from '../../index.js';
import { startAnthropicEmulator, type AnthropicEmulator } from '../emulators/anthropic.js';
import { startCohereEmulator, type CohereEmulator } from '../emulators/cohere.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

export const KEY = 'sk-route-meter-client-0000000001';
export const KEY_ID = 'route-meter-app';
export const ADMIN_KEY = 'route-meter-admin-key-0123456789';

export interface MeterEnv {
  t: TestGateway;
  emu: OpenAIEmulator;
  anth: AnthropicEmulator;
  co: CohereEmulator;
  records: UsageRecord[];
  /** The first meter record of a request id, once it arrived (throws naming `label` when none comes). */
  record(requestId: string, label: string): Promise<UsageRecord>;
  close(): Promise<void>;
}

export async function startMeterEnv(): Promise<MeterEnv> {
  const [emu, anth, co] = await Promise.all([startOpenAIEmulator(), startAnthropicEmulator(), startCohereEmulator()]);
  const closeEmulators = () => Promise.all([emu.close(), anth.close(), co.close()]);
  const records: UsageRecord[] = [];
  const capture = definePlugin({
    name: 'route-meter-capture',
    apply(gw) {
      gw.hooks.meter.tap({ name: 'route-meter-capture', stage: gw.Stage.LAST }, (r) => {
        records.push({ ...r });
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
      ],
      failover: { retries: 0 },
      passthrough: { estimateUsd: 0.001 },
      batches: {},
      governance: {
        adminKey: ADMIN_KEY,
        keys: [{ id: KEY_ID, key: KEY }],
        ledger: { path: ':memory:' },
      },
      plugins: [capture],
    });
  } catch (e) {
    await closeEmulators();
    throw e;
  }
  return {
    t,
    emu,
    anth,
    co,
    records,
    async record(requestId, label) {
      const find = () => records.find((r) => r.requestId === requestId);
      await eventually(() => find() !== undefined, 10_000).catch(() => {
        throw new Error(`${label}: no meter record for request ${requestId}`);
      });
      return find()!;
    },
    async close() {
      await t.close();
      await closeEmulators();
    },
  };
}

/** A PCM WAV file: 8 kHz, mono, 16 bits, `seconds` long, a 440 Hz tone. */
export function wav(seconds: number): Buffer {
  const rate = 8000;
  const data = Buffer.alloc(rate * 2 * seconds);
  for (let i = 0; i < rate * seconds; i++) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/** A valid RGBA PNG of `size` x `size` pixels (a gradient). */
export function png(size: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter, no interlace
  const raw = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) raw.set([x % 256, y % 256, 128, 255], y * (1 + size * 4) + 1 + x * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
