/**
 * Chaos (issue 14): two gateway processes (the real CLI) take mixed traffic (plain and streamed chat
 * in two dialects, token counts, cache hits, `models` failovers, client aborts, upstream cuts
 * mid-stream, a budget that runs out, a rate and concurrency limit) while faults are injected: a
 * private Redis is killed and restarted, PostgreSQL is cut behind a TCP proxy and restored, and one
 * gateway gets SIGTERM with streams open. After quiescence the invariants are checked:
 * - no process crashed, and both exit 0 on SIGTERM; no internal error was logged;
 * - every request that got an answer has exactly one ledger row (same status for plain answers);
 * - every upstream call is accounted for: the ledger's attempts add up to the calls the upstream saw;
 * - no concurrency slot and no budget hold is left in Redis;
 * - the persisted spend of the budget equals the sum of the ledger's costs for its key.
 * Bounded: 200 requests, 6 at a time; everything is torn down in `finally`. The shared Redis is
 * never used (a private one on its own port); PostgreSQL gets a schema of its own, dropped after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import pg from 'pg';
import { startHostileUpstream, type HostileUpstream } from '../emulators/hostile.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { CuttableProxy, OwnRedis, PG_URL, dropSchema, freePort, runId, services } from '../scaleout/helpers.js';

const CONFIG = fileURLToPath(new URL('./chaos.config.ts', import.meta.url));
const KEYS = {
  free: 'sk-chaos-free-00000000000000001',
  budgeted: 'sk-chaos-budget-0000000000000001',
  limited: 'sk-chaos-limited-000000000000001',
};
const TOTAL = 200;
const WORKERS = 6;
const SEED = Number(process.env.SY_CHAOS_SEED ?? Date.now() % 100_000);

const skip = await services();

/** mulberry32: reproducible traffic for a seed (printed on failure). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome {
  id: string;
  op: string;
  gw: string;
  status: number | 'none';
  stream: boolean;
  detail?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisCli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args])
    .stdout.toString()
    .trim();

/** Read an SSE body; with `stopAfter`, abort (as a client that gives up) after that many data events. */
async function readSse(res: Response, controller: AbortController, stopAfter?: number): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
      if (stopAfter !== undefined && (text.match(/^data: /gm)?.length ?? 0) >= stopAfter) {
        controller.abort();
        break;
      }
    }
  } catch {
    /* cut: the status is what counts */
  }
  return text;
}

test('chaos: mixed traffic under Redis restart, PostgreSQL cut, upstream cuts and SIGTERM keeps every invariant', {
  skip,
  timeout: 240_000,
}, async (t) => {
  const random = rng(SEED);
  const schema = runId('sy_chaos');
  let emu: HostileUpstream | undefined;
  let redis: OwnRedis | undefined;
  let proxy: CuttableProxy | undefined;
  const gws: Array<RunningCli & { name: string }> = [];
  const outcomes: Outcome[] = [];
  try {
    emu = await startHostileUpstream();
    redis = new OwnRedis(await freePort());
    await redis.start();
    proxy = new CuttableProxy(await freePort(), { host: '127.0.0.1', port: 5432 });
    await proxy.open();
    const env = {
      SY_EMU_URL: emu.url,
      SY_REDIS_URL: redis.url,
      SY_REDIS_PREFIX: `${schema}:`,
      SY_PG_URL: `postgres://root@127.0.0.1:${proxy.port}/test`,
      SY_PG_SCHEMA: schema,
    };
    for (const name of ['gw1', 'gw2']) gws.push({ ...(await startCli(['--config', CONFIG], env)), name });
    const [gw1, gw2] = gws;
    let gw2Open = true; // no new traffic to gw2 once its shutdown is planned

    let n = 0;
    const nextId = (op: string) => `chaos-${SEED}-${n++}-${op}`;
    const send = async (
      gw: RunningCli & { name: string },
      op: string,
      path: string,
      key: string,
      body: Record<string, unknown>,
      opts: { stream?: boolean; abortAfter?: number; anthropic?: boolean } = {},
    ): Promise<Outcome> => {
      const id = nextId(op);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 30_000);
      try {
        const res = await fetch(`${gw.url}${path}`, {
          method: 'POST',
          signal: controller.signal,
          headers: {
            'content-type': 'application/json',
            'x-request-id': id,
            ...(opts.anthropic ? { 'x-api-key': key } : { authorization: `Bearer ${key}` }),
          },
          body: JSON.stringify(body),
        });
        const sse = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
        const text = sse ? await readSse(res, controller, opts.abortAfter) : await res.text();
        return { id, op, gw: gw.name, status: res.status, stream: sse, detail: text.slice(-300) };
      } catch (e) {
        return { id, op, gw: gw.name, status: 'none', stream: Boolean(opts.stream), detail: String(e) };
      } finally {
        clearTimeout(timer);
      }
    };
    const prompts = ['echo: alpha', 'echo: beta', 'echo: gamma', 'echo: delta'];
    const chat = (content: string, extra: Record<string, unknown> = {}) => ({
      model: 'emu/gpt-4o-mini',
      max_tokens: 24,
      messages: [{ role: 'user', content }],
      ...extra,
    });

    /** One random operation of the mix. */
    const operation = (gw: RunningCli & { name: string }): Promise<Outcome> => {
      const r = random();
      const p = prompts[Math.floor(random() * prompts.length)];
      if (r < 0.2) return send(gw, 'plain', '/v1/chat/completions', KEYS.free, chat(p)); // repeats: cache hits
      if (r < 0.32)
        return send(
          gw,
          'stream',
          '/v1/chat/completions',
          KEYS.free,
          chat(`echo: stream ${n}`, { stream: true, stream_options: { include_usage: true } }),
          { stream: true },
        );
      if (r < 0.4)
        return send(
          gw,
          'abort',
          '/v1/chat/completions',
          KEYS.free,
          chat('endless', { model: 'emu/endless', stream: true }),
          { stream: true, abortAfter: 2 },
        );
      if (r < 0.5)
        return send(
          gw,
          'failover',
          '/v1/chat/completions',
          KEYS.free,
          chat(`echo: failover ${n}`, { model: 'emu/status-500', models: ['emu/gpt-4o-mini'] }),
        );
      if (r < 0.58)
        return send(
          gw,
          'cut',
          '/v1/chat/completions',
          KEYS.free,
          chat('cut', { model: 'emu/cut-after-2', stream: true }),
          { stream: true },
        );
      if (r < 0.72)
        return send(
          gw,
          'budget',
          '/v1/chat/completions',
          KEYS.budgeted,
          chat(`echo: budget ${n} ${'word '.repeat(20)}`),
        );
      if (r < 0.84) return send(gw, 'limited', '/v1/chat/completions', KEYS.limited, chat(`echo: limited ${n}`));
      if (r < 0.94)
        return send(
          gw,
          'anthropic',
          '/v1/messages',
          KEYS.free,
          {
            model: 'emu/gpt-4o-mini',
            max_tokens: 24,
            messages: [{ role: 'user', content: `echo: claude ${n}` }],
            stream: random() < 0.5,
          },
          { anthropic: true },
        );
      return send(
        gw,
        'count',
        '/v1/messages/count_tokens',
        KEYS.free,
        { model: 'emu/gpt-4o-mini', messages: [{ role: 'user', content: p }] },
        { anthropic: true },
      );
    };

    // Faults, keyed by the number of completed requests.
    let done = 0;
    const faults: Array<{ at: number; run: () => Promise<void>; name: string }> = [
      { at: 30, name: 'redis stop', run: () => redis!.stop() },
      { at: 55, name: 'redis start', run: () => redis!.start() },
      { at: 85, name: 'postgres cut', run: () => proxy!.cut() },
      { at: 115, name: 'postgres restore', run: () => proxy!.open() },
      {
        at: 140,
        name: 'SIGTERM gw2 with streams open',
        run: async () => {
          gw2Open = false;
          const streams = Array.from({ length: 3 }, () =>
            send(
              gw2,
              'sigterm',
              '/v1/chat/completions',
              KEYS.free,
              chat('endless', { model: 'emu/endless', stream: true }),
              { stream: true },
            ),
          );
          await sleep(300); // the streams are flowing
          const code = await gw2.stop('SIGTERM');
          assert.equal(code, 0, `gw2 exits 0 on SIGTERM: ${gw2.stderr().slice(-2000)}`);
          for (const o of await Promise.all(streams)) {
            outcomes.push(o);
            assert.equal(o.status, 200, JSON.stringify(o));
            assert.match(o.detail ?? '', /server_shutting_down/, 'the cut stream ends with the shutdown error event');
          }
        },
      },
    ];
    const faultLog: string[] = [];
    let faultChain = Promise.resolve();
    const onDone = () => {
      done++;
      for (const f of faults) {
        if (f.at === done)
          faultChain = faultChain.then(async () => {
            faultLog.push(`${f.name} @${done}`);
            await f.run();
          });
      }
    };
    let issued = 0;
    const worker = async () => {
      while (issued < TOTAL) {
        issued++;
        const gw = gw2Open && random() < 0.5 ? gw2 : gw1;
        outcomes.push(await operation(gw));
        onDone();
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await faultChain;
    // The budget and the rate limit must each refuse at least once. A seed whose budget requests mostly met
    // the Redis outage (503: the store was down) may not have spent the budget (seed 92961: 8 answered, 9
    // refused with 503): top up on gw1 now that every fault is over, until each has refused.
    const refused = (op: string) => outcomes.some((o) => o.op === op && o.status === 429);
    for (let i = 0; i < 60 && !refused('budget'); i++) {
      const body = chat(`echo: budget top-up ${i} ${'word '.repeat(20)}`);
      outcomes.push(await send(gw1, 'budget', '/v1/chat/completions', KEYS.budgeted, body));
    }
    for (let i = 0; i < 60 && !refused('limited'); i++) {
      outcomes.push(
        await send(gw1, 'limited', '/v1/chat/completions', KEYS.limited, chat(`echo: limited top-up ${i}`)),
      );
    }
    t.diagnostic(`seed ${SEED}; faults: ${faultLog.join(', ')}`);
    assert.equal(faultLog.length, faults.length, 'every fault was injected');

    // --- quiescence, then the invariants ---
    const byStatus = outcomes.reduce<Record<string, number>>(
      (m, o) => ((m[`${o.op} ${o.status}`] = (m[`${o.op} ${o.status}`] ?? 0) + 1), m),
      {},
    );
    t.diagnostic(`outcomes: ${JSON.stringify(byStatus)}`);
    assert.equal(gw1.child.exitCode, null, `gw1 still running: ${gw1.stderr().slice(-2000)}`);
    assert.ok(
      outcomes.every((o) => o.status === 'none' || o.status < 500 || [502, 503].includes(o.status)),
      'no 500: ' + JSON.stringify(outcomes.filter((o) => o.status === 500)),
    );

    // No concurrency slot or budget hold left (while gw1 is still up, once its meter work is done).
    const leftovers = () => {
      const keys = redisCli(redis!.port, '--scan', '--pattern', `${schema}:*`).split('\n').filter(Boolean);
      const slots = keys
        .filter((k) => k.startsWith(`${schema}:c:`))
        .map((k) => [k, Number(redisCli(redis!.port, 'get', k))] as const)
        .filter(([, v]) => v > 0);
      const holds = keys
        .filter((k) => k.startsWith(`${schema}:q:gov:budget:`) && !k.includes(':alert:'))
        .map((k) => [k, Number(redisCli(redis!.port, 'hget', k, 'held') || 0)] as const)
        .filter(([, v]) => v !== 0);
      return { slots, holds };
    };
    let left = leftovers();
    for (
      const end = Date.now() + 10_000;
      (left.slots.length || left.holds.length) && Date.now() < end;
      left = leftovers()
    )
      await sleep(100);
    assert.deepEqual(left, { slots: [], holds: [] }, 'no concurrency slot or budget hold left in Redis');

    const code1 = await gw1.stop('SIGTERM');
    assert.equal(code1, 0, `gw1 exits 0 on SIGTERM: ${gw1.stderr().slice(-2000)}`);
    for (const g of gws) {
      assert.doesNotMatch(
        g.stdout(),
        /"msg":"(unexpected error|unhandled error)"/,
        `${g.name} logged an internal error`,
      );
    }
    assert.deepEqual(leftovers(), { slots: [], holds: [] }, 'still nothing held after both gateways stopped');

    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const rows = (await db.query(`SELECT request_id, status, attempts, key_id, cost_pusd FROM "${schema}".usage`))
        .rows as Array<{
        request_id: string;
        status: number;
        attempts: number;
        key_id: string;
        cost_pusd: string;
      }>;
      const byId = new Map<string, typeof rows>();
      for (const r of rows) byId.set(r.request_id, [...(byId.get(r.request_id) ?? []), r]);
      const answered = outcomes.filter((o) => o.status !== 'none');
      const missing = answered.filter((o) => byId.get(o.id)?.length !== 1);
      assert.deepEqual(
        missing.map((o) => `${o.id} ${o.status} rows=${byId.get(o.id)?.length ?? 0}`),
        [],
        'every answered request has exactly one ledger row',
      );
      for (const o of answered) {
        if (!o.stream) assert.equal(byId.get(o.id)![0].status, o.status, `ledger status of ${o.id}`);
      }
      const unanswered = outcomes.filter((o) => o.status === 'none');
      assert.ok(unanswered.length <= 3, `requests without an answer: ${JSON.stringify(unanswered)}`);
      assert.equal(
        rows.length,
        answered.length + unanswered.filter((o) => byId.has(o.id)).length,
        'no ledger row without a request',
      );

      const attempts = rows.reduce((s, r) => s + Number(r.attempts), 0);
      assert.equal(
        attempts,
        emu.received,
        'every upstream call has a usage record (ledger attempts = calls the upstream saw)',
      );

      const spend = (
        await db.query(
          `SELECT COALESCE(SUM(spent_pusd), 0) AS s FROM "${schema}".budget_spend ` +
            "WHERE key LIKE 'gov:budget:key:budgeted:%'",
        )
      ).rows[0].s;
      const costs = (
        await db.query(`SELECT COALESCE(SUM(cost_pusd), 0) AS s FROM "${schema}".usage WHERE key_id = 'budgeted'`)
      ).rows[0].s;
      assert.equal(
        Number(spend),
        Number(costs),
        'the persisted spend of the budget equals the sum of its ledger costs',
      );
      assert.ok(Number(costs) > 0, 'the budgeted key spent something');
      assert.ok(
        answered.some((o) => o.op === 'budget' && o.status === 429),
        'the budget ran out during the run (429)',
      );
      assert.ok(
        answered.some((o) => o.op === 'limited' && o.status === 429),
        'the rate limit refused some requests',
      );
    } finally {
      await db.end();
    }
  } finally {
    for (const g of gws) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
    await redis?.stop().catch(() => undefined);
    await proxy?.cut().catch(() => undefined);
    await emu?.close().catch(() => undefined);
    await dropSchema(schema).catch(() => undefined);
  }
});
