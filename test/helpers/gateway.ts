/** Start a gateway on an ephemeral loopback port with its log lines captured in memory. */
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { pino } from 'pino';
import { createGateway, type SwitchyardConfig, type SwitchyardGateway } from '../../index.js';
import { REDACT_PATHS } from '../../core/logger.js';

export interface TestGateway {
  gw: SwitchyardGateway;
  url: string;
  client: OpenAI;
  /** Every log line written so far, raw. */
  logs: string[];
  close(): Promise<void>;
}

export function memoryLogger(lines: string[], level = 'debug') {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
}

export async function startGateway(config: SwitchyardConfig, clientKey = 'unused'): Promise<TestGateway> {
  const logs: string[] = [];
  const gw = await createGateway({ logger: memoryLogger(logs), ...config });
  const { url } = await gw.listen({ port: 0 });
  // timeout generous: a loaded CI machine, not the gateway, is what is slow
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: clientKey, maxRetries: 0, timeout: 60_000 });
  return { gw, url, client, logs, close: () => gw.close() };
}

/** Wait until `check` passes or time runs out (for effects that happen after a response). */
export async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
