/**
 * Defect 8 (issue 14): with three long streams and SIGTERM, the gateway logged three requests, wrote
 * no ledger row, and the clients saw a bare TCP close. Now, after the drain grace, open streams are cut
 * with an SSE error event in the client's dialect (503 server_shutting_down), their meter work is
 * awaited, and only then do the close hooks flush and close the ledger. The real CLI, a real SIGTERM.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { startHostileUpstream } from '../emulators/hostile.js';
import { startCli } from '../helpers/cli.js';

const CONFIG = fileURLToPath(new URL('../fixtures/shutdown.config.ts', import.meta.url));
const KEY = 'sk-shutdown-client-0123456789';

test(
  'SIGTERM with three open streams: ' + 'each client gets an error event in its dialect, the ledger has three rows',
  async () => {
    const emu = await startHostileUpstream();
    const ledger = join(mkdtempSync(join(tmpdir(), 'sy-shutdown-')), 'usage.db');
    const cli = await startCli(['--config', CONFIG], { SY_EMU_URL: emu.url, SY_LEDGER: ledger });
    try {
      const oai = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 30_000 });
      const anth = new Anthropic({ baseURL: cli.url, apiKey: KEY, maxRetries: 0, timeout: 30_000 });
      const firsts: Array<Promise<void>> = [];
      const outcome = (run: (first: () => void) => Promise<string>) => {
        let first!: () => void;
        firsts.push(
          new Promise<void>((r) => {
            first = r;
          }),
        );
        return run(first).then(
          (text) => ({ text, err: undefined as any }),
          (err) => ({ text: '', err }),
        );
      };
      const openaiStream = (n: number) =>
        outcome(async (first) => {
          const s = await oai.chat.completions.create({
            model: 'emu/endless',
            stream: true,
            messages: [{ role: 'user', content: `stream ${n}` }],
          });
          let text = '';
          for await (const c of s) {
            text += c.choices[0]?.delta.content ?? '';
            first();
          }
          return text;
        });
      const anthropicStream = outcome(async (first) => {
        const s = anth.messages.stream({
          model: 'emu/endless',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'stream 3' }],
        });
        s.on('text', () => first());
        return (await s.finalMessage()).content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      });
      const all = Promise.all([openaiStream(1), openaiStream(2), anthropicStream]);
      await Promise.all(firsts); // every stream is flowing
      const code = await cli.stop('SIGTERM');
      const [a, b, c] = await all;
      assert.equal(code, 0, cli.stderr());

      for (const r of [a, b]) {
        assert.ok(r.err instanceof OpenAI.APIError, `OpenAI client: ${r.err}`);
        assert.match(r.err.message, /shutting down/);
        assert.equal((r.err.error as any)?.code, 'server_shutting_down');
      }
      assert.ok(c.err instanceof Anthropic.APIError, `Anthropic client: ${c.err}`);
      assert.match(c.err.message, /shutting down/);
      assert.equal((c.err.error as any)?.type, 'error', 'Anthropic error shape');

      const db = new Database(ledger, { readonly: true });
      try {
        const rows = db.prepare('SELECT status, error_code, key_id, stream FROM usage ORDER BY time').all() as any[];
        assert.equal(rows.length, 3, JSON.stringify(rows));
        for (const row of rows) {
          assert.equal(row.status, 503);
          assert.equal(row.error_code, 'server_shutting_down');
          assert.equal(row.key_id, 'app');
          assert.equal(row.stream, 1);
        }
      } finally {
        db.close();
      }
      assert.equal(emu.open, 0, 'the upstream streams were released');
      assert.match(cli.stdout(), /switchyard stopped/);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await emu.close();
    }
  },
);

test(
  'close() past the grace: a Responses stream gets its error event, ' +
    'a stuck plain request a 503 body; both are metered before close hooks run',
  async () => {
    const { openaiCompatible, definePlugin } = await import('../../index.js');
    const { startGateway } = await import('../helpers/gateway.js');
    const emu = await startHostileUpstream();
    const order: string[] = [];
    const probe = definePlugin({
      name: 'probe',
      apply(gw) {
        gw.hooks.meter.tapPromise('probe', async (r) => {
          await new Promise((res) => setTimeout(res, 50)); // slow meter work, like a ledger write
          order.push(`meter:${r.dialect}:${r.status}:${r.errorCode}`);
        });
        gw.hooks.close.tapPromise('probe', async () => {
          order.push('close');
        });
      },
    });
    const t = await startGateway({
      server: { shutdownTimeoutMs: 100 },
      providers: [openaiCompatible({ name: 'emu', baseURL: emu.url, apiKey: 'k' })],
      failover: false,
      plugins: [probe()],
    });
    try {
      const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const stream = await client.responses.create({ model: 'emu/endless', input: 'hi', stream: true });
      const it = stream[Symbol.asyncIterator]();
      await it.next(); // flowing
      const plain = client.chat.completions
        .create({ model: 'emu/hang', messages: [{ role: 'user', content: 'x' }] })
        .then(
          () => undefined,
          (e) => e,
        );
      while (!emu.calls.get('hang')) await new Promise((r) => setTimeout(r, 10));
      await t.close();
      const events: any[] = [];
      for (let r = await it.next(); !r.done; r = await it.next()) events.push(r.value);
      const error = events.find((e) => e.type === 'error');
      assert.ok(error, `an error event: ${events.map((e) => e.type).join(' ')}`);
      assert.equal(error.code, 'server_shutting_down');
      assert.match(error.message, /shutting down/);
      assert.equal(events.at(-1).type, 'response.failed');
      const perr = await plain;
      assert.ok(perr instanceof OpenAI.APIError, String(perr));
      assert.equal(perr.status, 503);
      assert.equal((perr.error as any).code, 'server_shutting_down');
      assert.ok(order.includes('meter:openai:503:server_shutting_down'), order.join(' '));
      assert.ok(order.includes('meter:responses:503:server_shutting_down'), order.join(' '));
      assert.ok(
        order.indexOf('close') > order.lastIndexOf(order.find((o) => o.startsWith('meter:responses'))!),
        'meter work before close hooks',
      );
    } finally {
      await emu.close();
    }
  },
);
