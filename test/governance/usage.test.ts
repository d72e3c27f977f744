/**
 * The usage ledger and API through HTTP: one record per request (successes, failures, cache hits,
 * aborted streams), tags from the header, group_by, filters, CSV, a key reading its own usage,
 * Prometheus /metrics, the spend-spike alert and retention.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { eventually } from '../helpers/gateway.js';
import { ask, startEnv, statusOf, type Env } from './helpers.js';

const A = 'sk-usage-key-a-000000000000001';
const B = 'sk-usage-key-b-000000000000002';
let env: Env;

before(async () => {
  env = await startEnv(
    {
      keys: [
        { id: 'a', key: A, project: 'web', tags: ['team-x'] },
        { id: 'b', key: B, project: 'batch' },
      ],
      budgets: { global: [{ limitUsd: 100 }] },
      alerts: { spike: { multiple: 2, trailingHours: 24, minUsd: 0.000001, checkIntervalMs: 3_600_000 } },
    },
    { cache: { ttlSeconds: 60 }, failover: { retries: 0 } },
  );
});
after(() => env?.close()); // env is unset when setup failed: report that failure, not a TypeError

test('every request gets one record: success, failure, cache hit, aborted stream; tags and group_by', async () => {
  const a = env.client(A);
  const tags = { headers: { 'x-switchyard-tags': 'checkout, search' } };
  const r1 = await a.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: cached answer' }], temperature: 0 },
    tags,
  );
  const r2 = await a.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: cached answer' }], temperature: 0 },
    tags,
  );
  assert.equal(r2.choices[0].message.content, r1.choices[0].message.content);
  await ask(env.client(B), 'echo: batch job', { model: 'gpt-4.1-mini' });
  assert.equal((await statusOf(ask(env.client(B), 'x', { model: 'openai/error-500' }))).status, 500);

  // an aborted stream
  const controller = new AbortController();
  const stream = await a.chat.completions.create(
    {
      model: 'openai/slow-stream',
      messages: [{ role: 'user', content: 'write a long story please' }],
      stream: true,
      max_tokens: 200,
    },
    { signal: controller.signal },
  );
  for await (const _ of stream) {
    controller.abort();
    break;
  }

  await eventually(() => true);
  let res: any;
  for (let i = 0; i < 50; i++) {
    res = (await env.admin('GET', '/admin/usage?group_by=status')).json;
    if (res.totals.requests >= 5) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(res.totals.requests, 5);
  const statuses = Object.fromEntries(res.groups.map((g: any) => [g.group.status, g.requests]));
  assert.deepEqual(statuses, { 200: 3, 499: 1, 500: 1 });
  assert.equal(res.totals.cacheHits, 1);
  assert.ok(res.totals.costSavedUsd > 0, "the hit saved the first answer's cost");

  const byTag = (await env.admin('GET', '/admin/usage?group_by=tag&key=a')).json;
  const tagCounts = Object.fromEntries(byTag.groups.map((g: any) => [g.group.tag, g.requests]));
  assert.equal(tagCounts.checkout, 2);
  assert.equal(tagCounts.search, 2);
  assert.equal(tagCounts['team-x'], 3);

  const byKeyModel = (await env.admin('GET', '/admin/usage?group_by=key,model,day')).json;
  const row = byKeyModel.groups.find((g: any) => g.group.key === 'b' && g.group.model === 'gpt-4.1-mini');
  assert.equal(row.requests, 1);
  assert.match(row.group.day, /^\d{4}-\d{2}-\d{2}$/);
  const sum = byKeyModel.groups.reduce((s: number, g: any) => s + g.costUsd, 0);
  assert.ok(Math.abs(sum - byKeyModel.totals.costUsd) < 1e-15);

  const filtered = (await env.admin('GET', '/admin/usage?project=batch&status=500')).json;
  assert.equal(filtered.totals.requests, 1);
  assert.equal(filtered.totals.errors, 1);
  const hours = (
    await env.admin('GET', `/admin/usage?group_by=hour,provider&from=${new Date(Date.now() - 3_600_000).toISOString()}`)
  ).json;
  assert.ok(hours.groups.every((g: any) => /T\d{2}$/.test(g.group.hour)));
  assert.equal((await env.admin('GET', '/admin/usage?group_by=colour')).status, 400);
  assert.equal((await env.admin('GET', '/admin/usage', undefined, A)).status, 401, 'a client key is not an admin key');
});

test('a query the usage API cannot honour is refused, not answered with unfiltered totals', async () => {
  const refused = async (query: string, param: string, message: RegExp) => {
    const r = await env.admin('GET', `/admin/usage?${query}`);
    assert.equal(r.status, 400, query);
    assert.equal(r.json.error.type, 'invalid_request_error', query);
    assert.equal(r.json.error.param, param, query);
    assert.match(r.json.error.message, message, query);
  };
  // The answer echoes "groupBy"; the parameter is group_by: a typo must not read as "no grouping".
  await refused('groupBy=model', 'groupBy', /unknown parameter `groupBy`.*did you mean `group_by`/i);
  await refused(
    'modle=gpt-4o-mini',
    'modle',
    /unknown parameter `modle`. did you mean `model`\?.*accepts from, to, key/i,
  );
  await refused('colour=red', 'colour', /^Unknown parameter `colour`. The usage API accepts/);
  // A repeated filter used to be dropped silently (every record matched).
  await refused('project=batch&project=web', 'project', /`project` is given 2 times/);
  await refused('format=xml', 'format', /`format` is csv or json/);
  assert.equal((await env.admin('GET', '/admin/usage?format=json&group_by=model')).status, 200);
  // The client's own usage endpoint parses the same query.
  const own = await env.admin('GET', '/v1/usage?groupBy=model', undefined, A);
  assert.equal(own.status, 400);
  assert.equal(own.json.error.param, 'groupBy');
  assert.equal((await env.admin('GET', '/v1/usage?group_by=model', undefined, A)).status, 200);
});

test('CSV export: records and groups', async () => {
  const csv = await env.admin('GET', '/admin/usage?format=csv');
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  const lines = csv.text.trim().split('\n');
  assert.match(lines[0], /^time,requestId,keyId,project,provider,model/);
  assert.ok(lines.length >= 6);
  const grouped = await env.admin('GET', '/admin/usage?format=csv&group_by=project');
  assert.match(grouped.text.split('\n')[0], /^project,requests,errors/);
  assert.ok(grouped.text.includes('\nweb,') && grouped.text.includes('\nbatch,'));
});

test('a key reads its own usage only', async () => {
  const res = await fetch(`${env.t.url}/v1/usage?group_by=key,model`, { headers: { authorization: `Bearer ${B}` } });
  const json: any = await res.json();
  assert.equal(res.status, 200);
  assert.equal(json.filter.key, 'b');
  assert.equal(json.totals.requests, 2);
  const other = await fetch(`${env.t.url}/v1/usage?key=a`, { headers: { authorization: `Bearer ${B}` } });
  assert.equal(((await other.json()) as any).totals.requests, 2, 'the key filter cannot be widened');
  assert.equal((await fetch(`${env.t.url}/v1/usage`)).status, 401);
});

test('Prometheus /metrics', async () => {
  const text = (await env.admin('GET', '/metrics')).text;
  for (const name of [
    'switchyard_requests_total',
    'switchyard_errors_total',
    'switchyard_request_duration_seconds_bucket',
    'switchyard_upstream_duration_seconds_bucket',
    'switchyard_gateway_overhead_seconds_bucket',
    'switchyard_time_to_first_token_seconds_bucket',
    'switchyard_tokens_total',
    'switchyard_cost_usd_total',
    'switchyard_cache_hits_total',
    'switchyard_cache_saved_usd_total',
    'switchyard_budget_remaining_usd',
    'switchyard_breaker_state',
  ]) {
    assert.ok(text.includes(name), `${name} is exported`);
  }
  assert.match(
    text,
    /switchyard_requests_total\{provider="openai",model="gpt-4o-mini",status="200",cache="hit",operation="chat"\} 1/,
  );
  assert.match(text, /switchyard_budget_remaining_usd\{scope="global",id="global",period="month"\} 99\.9/);
  assert.match(text, /switchyard_breaker_state\{target="openai\/gpt-4o-mini"\} 0/);
});

test('spend spike: last hour above the multiple of the trailing average alerts once', async () => {
  await env.t.gw.close();
  // history: key "a" spent a little every hour of the last day
  const db = new Database(env.dbPath);
  const insert = db.prepare(
    'INSERT INTO usage (time, request_id, key_id, project, status, cost_pusd, tags) ' +
      "VALUES (?, ?, 'a', 'web', 200, 1000000, '[]')",
  );
  for (let h = 2; h <= 24; h++) insert.run(Date.now() - h * 3_600_000, `hist-${h}`);
  db.close();
  const gov = {
    keys: [{ id: 'a', key: A, project: 'web' }],
    alerts: { spike: { multiple: 2, trailingHours: 24, minUsd: 0.000001, checkIntervalMs: 100 } },
  };
  const env2 = await startEnv(gov, {}, { dbPath: env.dbPath, emu: env.emu });
  try {
    await ask(env2.client(A), 'echo: spike');
    const spikes = () => env2.t.logs.filter((l) => l.includes('spend.spike'));
    await eventually(() => spikes().length >= 2, 3000); // key "a" and project "web"
    await new Promise((r) => setTimeout(r, 400)); // several more checks
    const alerts = spikes().map((l) => JSON.parse(l).alert);
    const ids = alerts.map((a) => `${a.scope}:${a.id}`);
    // "a" and "web" have a history and spiked; "b"/"batch" have no history before the last hour (average 0)
    for (const id of ['key:a', 'project:web'])
      assert.equal(ids.filter((x) => x === id).length, 1, `${id} alerted once`);
    assert.equal(new Set(ids).size, ids.length, 'no scope alerted twice');
    const a = alerts.find((x) => x.id === 'a');
    assert.ok(a.lastHourUsd > 2 * a.trailingHourlyAvgUsd && a.trailingHourlyAvgUsd > 0);
  } finally {
    await env2.close();
  }
});

test('retention: records older than retentionDays are deleted at start', async () => {
  const db = new Database(env.dbPath);
  db.prepare(`INSERT INTO usage (time, request_id, status, cost_pusd, tags) VALUES (?, 'ancient', 200, 5, '[]')`).run(
    Date.now() - 40 * 86_400_000,
  );
  db.close();
  const env3 = await startEnv({ ledger: { retentionDays: 30 } }, {}, { dbPath: env.dbPath, emu: env.emu });
  await env3.close();
  const check = new Database(env.dbPath, { readonly: true });
  const n = (check.prepare(`SELECT count(*) AS n FROM usage WHERE request_id = 'ancient'`).get() as { n: number }).n;
  const kept = (check.prepare('SELECT count(*) AS n FROM usage').get() as { n: number }).n;
  check.close();
  assert.equal(n, 0);
  assert.ok(kept > 5, 'recent records stay');
});
