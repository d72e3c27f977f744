/**
 * Screenshots of the dashboard for docs/images/: `tsx scripts/screenshots.ts` (needs /usr/bin/chromium).
 * The ledger is first given 7 days of SYNTHETIC history (through the governance Ledger interface, so
 * the charts have a shape), then real traffic goes through the gateway with the openai client.
 */
import { SqliteLedger } from '../plugins/governance/ledger/sqlite.js';
import type { LedgerEntry } from '../plugins/governance/ledger/types.js';
import { tempDb } from '../test/governance/helpers.js';
import { chromiumPath, launch } from '../test/dashboard/browser.js';
import { ADMIN_KEY, BATCH_KEY, startDashEnv, WEB_KEY } from '../test/dashboard/env.js';

const OUT = process.argv[2] ?? 'docs/images';
if (!chromiumPath()) throw new Error('Chromium is not installed (apt-get install -y chromium).');

// deterministic pseudo-random numbers
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

async function seedHistory(path: string): Promise<void> {
  const ledger = new SqliteLedger(path);
  const entries: LedgerEntry[] = [];
  const now = Date.now();
  const models = [
    { model: 'gpt-4o-mini', in: 0.15, out: 0.6 },
    { model: 'gpt-4.1-mini', in: 0.4, out: 1.6 },
    { model: 'gpt-4.1', in: 2, out: 8 },
  ];
  for (let t = now - 7 * 86_400_000; t < now - 60_000; t += 5 * 60_000) {
    const hour = new Date(t).getUTCHours();
    const load = Math.round(3 + 6 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) + rnd() * 3);
    for (let i = 0; i < load; i++) {
      const web = rnd() < 0.65;
      const m = models[Math.floor(rnd() * (web ? 2 : 3))];
      const input = 200 + Math.floor(rnd() * 1500);
      const output = 50 + Math.floor(rnd() * 400);
      const outage = t > now - 30 * 3_600_000 && t < now - 29 * 3_600_000;
      const status = outage && rnd() < 0.4 ? 503 : rnd() < 0.02 ? 429 : 200;
      const hit = status === 200 && rnd() < 0.18;
      const cost = status === 200 && !hit ? Math.round((input * m.in + output * m.out) * 1e6) : 0;
      const latency = hit ? 2 + rnd() * 3 : 180 + rnd() * 500 + (rnd() < 0.05 ? 1500 : 0);
      entries.push({
        charges: [],
        record: {
          time: t + Math.floor(rnd() * 300_000), requestId: `seed-${t}-${i}`,
          keyId: web ? 'web-app' : 'batch-job', project: web ? 'web' : 'batch',
          provider: 'openai', model: m.model, requestedModel: m.model, operation: 'chat', stream: rnd() < 0.3, status,
          errorCode: status === 503 ? null : status === 429 ? 'rate_limit_exceeded' : null, cache: hit ? 'hit' : null,
          inputTokens: status === 200 ? input : 0, cachedTokens: 0, cacheWriteTokens: 0,
          outputTokens: status === 200 ? output : 0, reasoningTokens: 0,
          totalTokens: status === 200 ? input + output : 0,
          costPusd: cost, costSavedPusd: hit ? Math.round((input * m.in + output * m.out) * 1e6) : 0,
          latencyMs: latency, upstreamMs: hit ? 0 : latency - 2, ttftMs: null, attempts: status === 503 ? 2 : 1,
          aborted: false, shadow: false, tags: [],
        },
      });
    }
  }
  await ledger.append(entries);
  await ledger.close();
}

const dbPath = tempDb();
await seedHistory(dbPath);
// small budgets, so that the real traffic below shows consumption and crossed thresholds
const env = await startDashEnv({ dbPath, limits: { key: 0.000025, project: 0.00004, global: 0.0005 } });
const ask = (key: string, content: string, model = 'gpt-4o-mini') =>
  env
    .client(key)
    .chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 16 })
    .catch(() => undefined);
for (let i = 0; i < 6; i++) await ask(WEB_KEY, `echo: question ${i}`);
for (let i = 0; i < 3; i++) await ask(BATCH_KEY, `echo: job ${i}`, 'gpt-4.1-mini');
await ask(BATCH_KEY, 'x', 'openai/error-503');
for (let i = 0; i < 5; i++) await ask(WEB_KEY, 'x', 'openai/error-500'); // five failures in a row open its breaker
await new Promise((r) => setTimeout(r, 300));

const browser = await launch({ width: 1280, height: 900 });
const page = await browser.context.newPage();
const errors: string[] = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
const ready = (p: string) => page.waitForFunction((name) => {
  const v = document.getElementById('view');
  return v?.dataset.page === name && v.dataset.ready !== undefined;
}, p);
const save = async (name: string, fullPage = true) => {
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${OUT}/dashboard-${name}.png`, fullPage });
  console.log(`${OUT}/dashboard-${name}.png`);
};

await page.goto(`${env.url}/dashboard`);
await save('login');
await page.fill('#key', ADMIN_KEY);
await page.click('button[type=submit]');
await ready('overview');
await save('overview');
for (const p of ['costs', 'budgets', 'errors', 'health']) {
  await page.goto(`${env.url}/dashboard#${p}?range=${p === 'costs' ? '7d' : '24h'}`);
  await ready(p);
  await save(p, p !== 'errors');
}
await page.goto(`${env.url}/dashboard#keys`);
await ready('keys');
await page.fill('#create-key input[name=name]', 'analytics notebook');
await page.fill('#create-key input[name=project]', 'batch');
await page.fill('#create-key input[name=rpm]', '60');
await page.fill('#create-key input[name=budget]', '25');
await page.click('#create-key button[type=submit]');
await page.waitForSelector('#new-key');
await save('keys');
await page.goto(`${env.url}/dashboard/status`);
await page.waitForSelector('#view[data-ready]');
await save('status');
await page.setViewportSize({ width: 390, height: 844 });
await page.goto(`${env.url}/dashboard#overview?range=24h`);
await ready('overview');
await save('phone');

await browser.close();
await env.close();
if (errors.length) throw new Error(`console errors: ${errors.join('\n')}`);
