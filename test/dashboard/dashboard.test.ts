/**
 * The dashboard end to end in headless Chromium (Debian's chromium, driven by playwright-core): sign
 * in, charts from real traffic sent with the openai client, the project filter, costs (every share column
 * in view at 1280 px), budgets (key names; no range wording; the empty state), creating and revoking a
 * key (the gateway then refuses it), an injected upstream failure in the error log, target health, the
 * status page (availability axes 0-100 %), a canary prompt nowhere in any page or response, no console
 * errors, phone-width layout, sign out. Skips only when Chromium is not installed.
 * SWITCHYARD_SCREENSHOTS=<dir> also saves a PNG of each page there (see scripts/screenshots.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { statusOf } from '../governance/helpers.js';
import { chromiumPath, launch, SKIP_REASON, type Browser } from './browser.js';
import { ADMIN_KEY, BATCH_KEY, startDashEnv, WEB_KEY, type DashEnv } from './env.js';

const CANARY = 'CANARY-7d1f-dashboard-prompt';
const skip = chromiumPath() ? false : SKIP_REASON;
const shots = process.env.SWITCHYARD_SCREENSHOTS;

let env: DashEnv;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const bodies: Promise<string>[] = [];

async function shot(name: string): Promise<void> {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });
}

/** Wait for the single-page app to finish rendering `name`. */
async function ready(name: string, on: Page = page): Promise<void> {
  await on.waitForFunction(
    (p) => {
      const v = document.getElementById('view');
      return v?.dataset.page === p && v.dataset.ready !== undefined && !v.querySelector('.plot:empty');
    },
    name,
    { timeout: 10_000 },
  );
}

/** The text a reader sees: hidden elements left out, each block on its own line. */
async function seen(l: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, the rendered text on purpose
  return l.innerText();
}

async function kpi(label: string): Promise<string> {
  return (await page.locator('.kpi', { hasText: label }).locator('.kpi-value').textContent())!.trim();
}

before(async () => {
  if (skip) return;
  env = await startDashEnv();
  const web = env.client(WEB_KEY);
  const batch = env.client(BATCH_KEY);
  const ask = (c: typeof web, content: string, model = 'gpt-4o-mini', user?: string) =>
    c.chat.completions.create({
      model,
      messages: [{ role: 'user', content }],
      max_tokens: 16,
      temperature: 0,
      ...(user ? { user } : {}),
    });
  for (let i = 0; i < 5; i++) await ask(web, `echo: ${CANARY} web question ${i}`);
  await ask(web, `echo: ${CANARY} web question 0`); // a cache hit
  for (let i = 0; i < 3; i++) await ask(batch, `echo: ${CANARY} batch job ${i}`, 'gpt-4.1-mini', 'nightly-runner');
  await statusOf(ask(batch, `echo: ${CANARY} fails`, 'openai/error-503'));
  browser = await launch();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => {
    bodies.push(r.text().catch(() => ''));
  });
  // wait until the ledger has the 10 records
  for (let i = 0; i < 100 && (await env.admin('/admin/usage')).totals.requests < 10; i++)
    await new Promise((r) => setTimeout(r, 50));
});

after(async () => {
  await browser?.close();
  await env?.close();
});

test('sign in: wrong key refused, then a Secure-when-HTTPS, HttpOnly, SameSite=Strict opaque session cookie', {
  skip,
}, async () => {
  const res = await fetch(`${env.url}/dashboard/api/admin/keys`);
  assert.equal(res.status, 401, 'the dashboard API needs a session');
  await page.goto(`${env.url}/dashboard`);
  await page.fill('#key', 'not-the-admin-key');
  await page.click('button[type=submit]');
  await page.waitForSelector('.alert');
  assert.match((await page.locator('.alert').textContent()) ?? '', /not the admin key/);
  await shot('login');
  await page.fill('#key', ADMIN_KEY);
  await page.click('button[type=submit]');
  await ready('overview');
  assert.ok(!page.url().includes(ADMIN_KEY), 'no key in the URL');
  const cookies = await browser.context.cookies();
  assert.equal(cookies.length, 1);
  const c = cookies[0];
  assert.equal(c.name, 'sy_dash');
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  assert.equal(c.secure, false, 'plain HTTP here; Secure is set when the request is HTTPS');
  assert.equal(c.path, '/dashboard');
  assert.ok(!c.value.includes(ADMIN_KEY) && c.value.length >= 40, 'an opaque random id, not the key');
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session cookie');
});

test('overview: KPIs and charts from the real traffic; filter by project', { skip }, async () => {
  await page.selectOption('#f-range', '1h');
  await page.waitForFunction(() => location.hash.includes('range=1h'));
  await ready('overview');
  assert.equal(await kpi('Requests'), '10');
  assert.equal(await kpi('Error rate'), '10.0 %');
  assert.equal(await kpi('Cache hit rate'), '10.0 %');
  assert.match(await kpi('Latency p50'), /^\d+(\.\d)? ms$/);
  assert.match(await kpi('Spend'), /^\$0\.0000\d+|^\$\d/);
  assert.equal(await page.locator('.chart canvas').count(), 5, 'five charts drawn');
  // the charts hold the traffic: the requests series sums to 10
  const ts = await env.admin(`/admin/timeseries?from=${Date.now() - 3_600_000}&buckets=60`);
  assert.equal(
    ts.buckets.reduce((s: number, b: any) => s + b.requests, 0),
    10,
  );
  const legend = await page.locator('.chart').first().locator('.u-legend').textContent();
  assert.match(legend ?? '', /Requests/);
  assert.match(legend ?? '', /Errors/);
  await shot('overview');

  await page.selectOption('#f-project', 'batch');
  await page.waitForFunction(() => location.hash.includes('project=batch'));
  await ready('overview');
  await page.waitForFunction(() => document.querySelector('.kpi .kpi-value')?.textContent === '4');
  assert.equal(await kpi('Error rate'), '25.0 %');
  await page.selectOption('#f-project', '');
  await page.waitForFunction(() => !location.hash.includes('project=batch'));
  await ready('overview');

  // a custom range: yesterday holds nothing; the last hour holds everything
  const local = (t: number) => new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.selectOption('#f-range', 'custom');
  await page.fill('#f-from', local(Date.now() - 2 * 86_400_000));
  await page.fill('#f-to', local(Date.now() - 86_400_000));
  await page.click('#f-apply');
  await page.waitForFunction(() => location.hash.includes('range=custom'));
  await page.waitForFunction(() => document.querySelector('.kpi .kpi-value')?.textContent === '0');
  await ready('overview');
  await page.fill('#f-from', local(Date.now() - 3_600_000));
  await page.fill('#f-to', local(Date.now() + 120_000));
  await page.click('#f-apply');
  await page.waitForFunction(() => document.querySelector('.kpi .kpi-value')?.textContent === '10');
  await ready('overview');
  await page.selectOption('#f-range', '1h');
  await page.waitForFunction(() => !location.hash.includes('range=custom'));
  await ready('overview');
});

test('costs by model, provider, project, key and end user', { skip }, async () => {
  await page.click('#nav a[href="#costs"]');
  await ready('costs');
  const text = await page.locator('#view').textContent();
  for (const s of [
    'By model',
    'gpt-4o-mini',
    'gpt-4.1-mini',
    'By provider',
    'openai',
    'By project',
    'web',
    'batch',
    'By key',
    'web-app',
    'batch-job',
    'By user',
    'nightly-runner',
  ]) {
    assert.ok(text?.includes(s), `costs page shows ${s}`);
  }
  assert.equal(await page.locator('a[download]').count(), 5, 'a CSV link per breakdown');
  await shot('costs');
});

test('budgets with consumption and thresholds', { skip }, async () => {
  await page.click('#nav a[href="#budgets"]');
  await ready('budgets');
  const rows = page.locator('#view tbody tr');
  assert.equal(await rows.count(), 3, 'global, project web, key web-app');
  const key = rows.filter({ hasText: 'web-app' });
  assert.match((await key.textContent()) ?? '', /month/);
  assert.equal(await key.locator('.tick').count(), 3, "the key's thresholds 25, 50, 90 are drawn");
  assert.match((await key.locator('.meter-label').textContent()) ?? '', /^\d+\.\d %$/);
  await shot('budgets');
});

test("budgets name each key's budget (its id as secondary text) and say nothing of a time range", {
  skip,
}, async () => {
  await page.goto(`${env.url}/dashboard#budgets`);
  await ready('budgets');
  const cell = page.locator('#view tbody tr', { hasText: 'Web storefront' }).locator('td').nth(1);
  assert.equal(await seen(cell), 'Web storefront\nweb-app', 'the name first, the id under it');
  assert.match((await cell.locator('[title]').getAttribute('title')) ?? '', /web-app/);
  const project = page.locator('#view tbody tr', { hasText: 'project' }).locator('td').nth(1);
  assert.equal(await seen(project), 'web', 'a project has no display name: its id');
  // Budgets are per period, not per chosen range: no range control and no range wording on this page.
  assert.doesNotMatch(await seen(page.locator('body')), /range/i);
});

test('budgets: a gateway without budgets says "No budgets configured", not "No data in this range"', {
  skip,
}, async () => {
  const bare = await startDashEnv({
    extra: {
      governance: {
        adminKey: ADMIN_KEY,
        keys: [{ id: 'web-app', key: WEB_KEY, name: 'Web storefront' }],
        ledger: { path: ':memory:' },
      },
    },
  });
  const other = await launch({ width: 1280, height: 800 });
  try {
    const p = await other.context.newPage();
    await p.goto(`${bare.url}/dashboard`);
    await p.fill('#key', ADMIN_KEY);
    await p.click('button[type=submit]');
    await ready('overview', p);
    await p.click('#nav a[href="#budgets"]');
    await ready('budgets', p);
    const text = await seen(p.locator('body'));
    assert.match(text, /No budgets configured/);
    assert.doesNotMatch(text, /range/i);
  } finally {
    await other.close();
    await bare.close();
  }
});

test('an injected upstream failure appears in the error log (metadata only)', { skip }, async () => {
  await page.click('#nav a[href="#errors"]');
  await ready('errors');
  assert.equal(await page.locator('#view tbody tr').count(), 1);
  // inject another failure now: the upstream answers 500
  assert.equal(
    (
      await statusOf(
        env.client(WEB_KEY).chat.completions.create({
          model: 'openai/error-500',
          messages: [{ role: 'user', content: `echo: ${CANARY} boom` }],
        }),
      )
    ).status,
    500,
  );
  for (let i = 0; i < 100 && (await env.admin('/admin/usage')).totals.requests < 11; i++)
    await new Promise((r) => setTimeout(r, 50));
  await page.click('#f-refresh');
  await page.waitForFunction(() => document.querySelectorAll('#view tbody tr').length === 2);
  const row = page.locator('#view tbody tr').first();
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells.slice(1, 8), [
    'web-app',
    'web',
    'error-500',
    'openai',
    '500 server error',
    'upstream_server_error',
    '1',
  ]);
  assert.match(
    (await page.locator('#view tbody tr').nth(1).textContent()) ?? '',
    /batch-job.*error-503.*503 unavailable/,
  );
  await shot('errors');
});

test('target health with breaker state', { skip }, async () => {
  await page.click('#nav a[href="#health"]');
  await ready('health');
  const row = page.locator('#view tbody tr', { hasText: 'openai/error-500' });
  assert.match((await row.textContent()) ?? '', /● closed \(healthy\)/);
  assert.match(
    (await page.locator('#view tbody tr', { hasText: 'openai/gpt-4o-mini' }).textContent()) ?? '',
    /100\.0 %/,
  );
  // four more failures make five in a row: the breaker opens
  for (let i = 0; i < 4; i++)
    await statusOf(
      env
        .client(BATCH_KEY)
        .chat.completions.create({ model: 'openai/error-500', messages: [{ role: 'user', content: 'x' }] }),
    );
  await page.reload();
  await ready('health');
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[2], '○ open (refusing)', 'the state in words and a shape, not colour alone');
  assert.equal(cells[3], '5');
  assert.match(cells[4], /\d{2}:\d{2}:\d{2}/, 'open until');
  await shot('health');
});

test('keys: create (shown once), use, edit limits, revoke; the gateway refuses the revoked key', { skip }, async () => {
  await page.click('#nav a[href="#keys"]');
  await ready('keys');
  await page.fill('#create-key input[name=name]', 'e2e key');
  await page.fill('#create-key input[name=project]', 'web');
  await page.fill('#create-key input[name=rpm]', '100');
  await page.click('#create-key button[type=submit]');
  await page.waitForSelector('#new-key');
  const key = (await page.locator('#new-key').textContent())!;
  assert.match(key, /^sk-sy-/);
  const row = page.locator('#key-list tbody tr', { hasText: 'e2e key' });
  await row.waitFor();
  const id = (await row.locator('td').first().textContent())!;
  assert.match((await row.textContent()) ?? '', /active.*requestsPerMinute: 100/);
  await shot('keys');

  const ok = await env
    .client(key)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: fine' }] });
  assert.equal(ok.choices[0].message.content, 'fine');

  await row.locator('summary').click();
  await row.locator('input[name=rpm]').fill('42');
  await row.locator('button', { hasText: 'Save limits' }).click();
  await page.waitForFunction(
    (i) =>
      [...document.querySelectorAll('#key-list tbody tr')].some(
        (r) => r.textContent!.includes(i) && r.textContent!.includes('requestsPerMinute: 42'),
      ),
    id,
  );
  assert.equal((await env.admin(`/admin/keys/${id}`)).limits.requestsPerMinute, 42);

  const revoke = page.locator(`button[data-revoke="${id}"]`);
  await revoke.click();
  assert.equal(await revoke.textContent(), 'Confirm revoke', 'revoking asks for a second click');
  await revoke.click();
  await page.waitForFunction(
    (i) =>
      [...document.querySelectorAll('#key-list tbody tr')].some(
        (r) => r.textContent!.startsWith(i) && r.textContent!.includes('revoked'),
      ),
    id,
  );
  const refused = await statusOf(
    env
      .client(key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: no' }] }),
  );
  assert.equal(refused.status, 401);
  assert.equal(refused.error.code, 'api_key_revoked');
  // the key is shown once: after a reload it is nowhere
  await page.reload();
  await ready('keys');
  assert.ok(!(await page.content()).includes(key));
});

test('costs at 1280 × 800: every share column is fully visible, even beside a long key id', { skip }, async () => {
  const id = 'customer-support-assistant-eu-west-1';
  const res = await fetch(`${env.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, name: 'Support assistant' }),
  });
  assert.equal(res.status, 201);
  const { key } = await res.json();
  await env
    .client(key)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'echo: w' }] });
  for (let i = 0; i < 100 && (await env.admin(`/admin/usage?key=${id}`)).totals.requests < 1; i++)
    await new Promise((r) => setTimeout(r, 50));
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await page.goto(`${env.url}/dashboard#costs?range=1h`);
    await ready('costs');
    const byKey = page.locator('#view section.panel', { has: page.locator('h2', { hasText: /^By key$/ }) });
    assert.ok((await byKey.textContent())?.includes(id), 'the long key id is in the By key table');
    const panels = await page.locator('#view section.panel').evaluateAll((sections) =>
      sections.map((s) => {
        const wrap = s.querySelector('.table-wrap')!;
        const cells = [...s.querySelectorAll('tr > :last-child')];
        return {
          title: s.querySelector('h2')!.textContent,
          box: wrap.getBoundingClientRect().right,
          right: Math.max(...cells.map((c) => c.getBoundingClientRect().right)),
          hidden: wrap.scrollWidth - wrap.clientWidth,
        };
      }),
    );
    assert.equal(panels.length, 5);
    for (const p of panels) {
      assert.ok(p.right <= Math.min(p.box, 1280) + 0.5, `${p.title}: share column ends at ${p.right}, box at ${p.box}`);
      assert.ok(p.hidden <= 0, `${p.title}: ${p.hidden}px scrolled out of sight`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});

test('the status page: per-provider availability and latency, 24 hours and 7 days', { skip }, async () => {
  await page.goto(`${env.url}/dashboard/status`);
  await page.waitForSelector('#view[data-ready]');
  const row = page.locator('#view table').first().locator('tbody tr', { hasText: 'openai' });
  const cells = await row.locator('td').allTextContents();
  // 11 routed non-cached requests in the ledger before the key test, plus 1 with the new key: 2 failed with 5xx
  assert.equal(cells[0], 'openai');
  assert.match(cells[2], /^\d+\.\d %$/);
  assert.ok(Number(cells[4]) >= 11, `requests in 24 h: ${cells[4]}`);
  assert.equal(await page.locator('.chart canvas').count(), 2);
  await shot('status');
  // behind the login by default: a fresh browser without the cookie gets the sign-in form
  const res = await fetch(`${env.url}/dashboard/api/status`);
  assert.equal(res.status, 401);
});

/** The y axis of each chart whose caption matches: its range and tick labels (the page records them). */
async function yAxes(caption: RegExp) {
  const plots = page.locator('.chart', { hasText: caption }).locator('.plot');
  const n = await plots.count();
  await page.waitForFunction(
    ([source, count]) =>
      [...document.querySelectorAll<HTMLElement>('.chart')].filter(
        (c) => new RegExp(source as string).test(c.textContent ?? '') && c.querySelector('.plot[data-y-ticks]'),
      ).length === count,
    [caption.source, n] as const,
  );
  return plots.evaluateAll((els) =>
    (els as HTMLElement[]).map((e) => ({
      min: Number(e.dataset.yMin),
      max: Number(e.dataset.yMax),
      ticks: JSON.parse(e.dataset.yTicks ?? '[]') as string[],
    })),
  );
}

test('availability axes run from 0 to 100 %, never above (status page; percent chart on the overview)', {
  skip,
}, async () => {
  await page.goto(`${env.url}/dashboard/status`);
  await page.waitForSelector('#view[data-ready]');
  const axes = await yAxes(/availability per hour/);
  assert.equal(axes.length, 1, 'one availability chart (one provider)');
  for (const a of axes) {
    assert.deepEqual([a.min, a.max], [0, 100], `axis from ${a.min} to ${a.max}`);
    assert.ok(a.ticks.length >= 2, `ticks: ${a.ticks}`);
    for (const t of a.ticks) {
      const v = Number.parseFloat(t);
      assert.ok(v >= 0 && v <= 100 && / %$/.test(t), `tick ${t}`);
    }
  }
  await page.goto(`${env.url}/dashboard#overview?range=1h`);
  await ready('overview');
  const [rates] = await yAxes(/Error rate and cache hit rate/);
  assert.ok(rates.min >= 0 && rates.max <= 100, `overview percent axis from ${rates.min} to ${rates.max}`);
  for (const t of rates.ticks) assert.ok(Number.parseFloat(t) <= 100, `tick ${t}`);
});

test('phone width: no horizontal scrolling, navigation reachable', { skip }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.url}/dashboard#overview?range=1h`);
  await ready('overview');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);
  assert.ok(await page.locator('#nav a[href="#keys"]').isVisible());
  const chartWidth = await page
    .locator('.chart')
    .first()
    .evaluate((e) => e.getBoundingClientRect().width);
  assert.ok(chartWidth <= 390, `chart ${chartWidth}px`);
  await shot('phone');
  await page.click('#nav a[href="#errors"]');
  await ready('errors');
  assert.ok(
    (await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0,
    'tables scroll inside their box',
  );
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('the canary prompt is nowhere: not in any page, not in any response; no console errors', { skip }, async () => {
  for (const p of ['overview', 'costs', 'budgets', 'errors', 'health', 'keys']) {
    await page.goto(`${env.url}/dashboard#${p}?range=24h`);
    await ready(p);
    assert.ok(!(await page.content()).includes(CANARY), `page ${p}`);
  }
  const texts = await Promise.all(bodies);
  assert.ok(texts.length > 20, `${texts.length} responses seen`);
  for (const t of texts) assert.ok(!t.includes(CANARY), 'a response carried the canary');
  assert.deepEqual(consoleErrors, []);
});

test('sign out ends the session server-side', { skip }, async () => {
  const [cookie] = await browser.context.cookies();
  await page.click('.logout button');
  await page.waitForSelector('#key');
  assert.equal((await browser.context.cookies()).length, 0);
  const res = await fetch(`${env.url}/dashboard/api/admin/keys`, {
    headers: { cookie: `${cookie.name}=${cookie.value}` },
  });
  assert.equal(res.status, 401, 'the old session id no longer works');
});
