/** The dashboard single-page app: hash routes #overview, #costs, #budgets, #errors, #health, #keys. */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import {
  api,
  ApiError,
  base,
  chart,
  destroyCharts,
  fmtInt,
  fmtMs,
  fmtPct,
  fmtTime,
  fmtUsd,
  h,
  meter,
  PERCENT,
  qs,
  table,
} from './common.js';

const RANGES: Record<string, { ms: number; buckets: number }> = {
  '1h': { ms: 3_600_000, buckets: 60 },
  '24h': { ms: 86_400_000, buckets: 48 },
  '7d': { ms: 7 * 86_400_000, buckets: 56 },
  '30d': { ms: 30 * 86_400_000, buckets: 60 },
};
const PAGES = ['overview', 'costs', 'budgets', 'errors', 'health', 'keys'] as const;
type Page = (typeof PAGES)[number];

const view = document.getElementById('view')!;
const fRange = document.getElementById('f-range') as HTMLSelectElement;
const fProject = document.getElementById('f-project') as HTMLSelectElement;
const fKey = document.getElementById('f-key') as HTMLSelectElement;
const fCustom = document.getElementById('f-custom') as HTMLElement;
const fFrom = document.getElementById('f-from') as HTMLInputElement;
const fTo = document.getElementById('f-to') as HTMLInputElement;

interface State {
  page: Page;
  range: string;
  project: string;
  key: string;
  from: string;
  to: string;
}

function state(): State {
  const [p, q] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(q ?? '');
  return {
    page: (PAGES as readonly string[]).includes(p) ? (p as Page) : 'overview',
    range: RANGES[params.get('range') ?? ''] || params.get('range') === 'custom' ? params.get('range')! : '24h',
    project: params.get('project') ?? '',
    key: params.get('key') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

function go(s: Partial<State>): void {
  const next = { ...state(), ...s };
  const custom = next.range === 'custom';
  const query = qs({
    range: next.range,
    from: custom ? next.from : '',
    to: custom ? next.to : '',
    project: next.project,
    key: next.key,
  });
  location.hash = `${next.page}?${query}`;
}

/** The chosen range: a preset ending now, or custom from/to (local date-times in the URL). */
function span(s: State): { from: number; to: number } {
  if (s.range === 'custom') {
    const from = Date.parse(s.from);
    const to = s.to ? Date.parse(s.to) : Date.now() + 1000;
    if (Number.isFinite(from) && Number.isFinite(to) && from < to) return { from, to };
  }
  const to = Date.now();
  return { from: to - (RANGES[s.range] ?? RANGES['24h']).ms, to: to + 1000 };
}

function filters(s: State) {
  const { from, to } = span(s);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), project: s.project, key: s.key };
}

function bucketsFor(s: State): number {
  return RANGES[s.range]?.buckets ?? 60;
}

/** A Date as the value of a datetime-local input (local time, minutes). */
const localInput = (t: number) => new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

async function fillSelect(sel: HTMLSelectElement, values: string[], current: string, all: string) {
  const opts = [...new Set([...values, ...(current ? [current] : [])])].sort();
  sel.replaceChildren(
    h('option', { value: '' }, all),
    ...opts.map((v) => h('option', { value: v, selected: v === current }, v)),
  );
}

async function refreshFilters(s: State) {
  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const [projects, keys] = await Promise.all([
    api(`/admin/usage?${qs({ group_by: 'project', from: since })}`),
    api('/admin/keys'),
  ]);
  await fillSelect(
    fProject,
    [
      ...projects.groups.map((g: any) => g.group.project).filter(Boolean),
      ...keys.data.map((k: any) => k.project).filter(Boolean),
    ],
    s.project,
    'All projects',
  );
  await fillSelect(
    fKey,
    keys.data.map((k: any) => k.id),
    s.key,
    'All keys',
  );
  // A refresh that finishes while the user is filling in a custom range must not hide the inputs
  // (this raced with the range select: the custom fields vanished before Apply).
  const editingCustom = fRange.value === 'custom' && !fCustom.hidden && s.range !== 'custom';
  if (editingCustom) return;
  fRange.value = s.range;
  fCustom.hidden = s.range !== 'custom';
  if (s.range === 'custom') {
    const { from, to } = span(s);
    fFrom.value = localInput(from);
    fTo.value = localInput(to);
  }
}

function section(title: string, ...children: Array<Node | null>): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

function kpi(label: string, value: string, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'kpi' },
    h('span', { class: 'kpi-label' }, label),
    h('strong', { class: 'kpi-value' }, value),
    hint ? h('span', { class: 'muted small' }, hint) : null,
  );
}

// --- pages ---

async function overview(s: State): Promise<Node[]> {
  const ts = await api(`/admin/timeseries?${qs({ ...filters(s), buckets: bucketsFor(s) })}`);
  const t = ts.totals;
  const xs = ts.buckets.map((b: any) => Date.parse(b.time) / 1000);
  const col = (k: string, f = (v: number) => v) => ts.buckets.map((b: any) => (b[k] === null ? null : f(b[k])));
  const usd = (v: number) => fmtUsd(v);
  return [
    h('h1', {}, 'Overview'),
    h(
      'div',
      { class: 'kpis', id: 'kpis' },
      kpi('Requests', fmtInt(t.requests)),
      kpi('Spend', fmtUsd(t.costUsd)),
      kpi('Tokens', fmtInt(t.totalTokens)),
      kpi('Error rate', fmtPct(t.errorRate * 100), `${fmtInt(t.errors)} errors`),
      kpi('Latency p50', fmtMs(t.p50)),
      kpi('Latency p95', fmtMs(t.p95)),
      kpi('Cache hit rate', fmtPct(t.cacheHitRate * 100), `${fmtInt(t.cacheHits)} hits`),
      kpi('Cache savings', fmtUsd(t.costSavedUsd)),
    ),
    h(
      'div',
      { class: 'grid' },
      chart('Requests and errors', xs, [
        { label: 'Requests', values: col('requests'), color: '#1f5fbf', fmt: fmtInt },
        { label: 'Errors', values: col('errors'), color: '#c0392b', dash: [6, 4], fmt: fmtInt },
      ]),
      chart('Spend and cache savings (USD)', xs, [
        { label: 'Spend', values: col('costUsd'), color: '#2d7d46', fmt: usd },
        { label: 'Saved by cache', values: col('costSavedUsd'), color: '#8e44ad', dash: [6, 4], fmt: usd },
      ]),
      chart('Tokens', xs, [{ label: 'Tokens', values: col('totalTokens'), color: '#b9770e', fmt: fmtInt }]),
      chart('Latency (ms)', xs, [
        { label: 'p50', values: col('p50'), color: '#1f5fbf', fmt: (v) => fmtMs(v) },
        { label: 'p95', values: col('p95'), color: '#c0392b', dash: [6, 4], fmt: (v) => fmtMs(v) },
      ]),
      chart(
        'Error rate and cache hit rate (%)',
        xs,
        [
          { label: 'Error rate', values: col('errorRate', (v) => v * 100), color: '#c0392b', fmt: (v) => fmtPct(v) },
          {
            label: 'Cache hit rate',
            values: col('cacheHitRate', (v) => v * 100),
            color: '#2d7d46',
            dash: [2, 3],
            fmt: (v) => fmtPct(v),
          },
        ],
        { y: PERCENT },
      ),
    ),
    ts.truncated
      ? h('p', { class: 'alert' }, 'Only the newest 100 000 requests of this range are included: narrow the range.')
      : null,
  ].filter(Boolean) as Node[];
}

async function costs(s: State): Promise<Node[]> {
  // "user": end users within keys (governance.endUsers), as stored: ids or their hashes.
  const dims = ['model', 'provider', 'project', 'key', 'user'] as const;
  const results = await Promise.all(dims.map((d) => api(`/admin/usage?${qs({ ...filters(s), group_by: d })}`)));
  const total = results[0].totals.costUsd;
  return [
    h('h1', {}, 'Costs'),
    h(
      'p',
      {},
      `Total spend ${fmtUsd(total)} over ${fmtInt(results[0].totals.requests)} requests; ` +
        `cache savings ${fmtUsd(results[0].totals.costSavedUsd)}.`,
    ),
    h(
      'div',
      { class: 'grid' },
      ...dims.map((d, i) =>
        section(
          `By ${d}`,
          table(
            [d[0].toUpperCase() + d.slice(1), 'Requests', 'Tokens', 'Spend', 'Share'],
            results[i].groups.map((g: any) => [
              g.group[d] ?? '(none)',
              fmtInt(g.requests),
              fmtInt(g.totalTokens),
              fmtUsd(g.costUsd),
              meter(total > 0 ? (g.costUsd / total) * 100 : 0),
            ]),
            { class: 'breakdown' }, // long names wrap: the share column stays in view
          ),
          h(
            'p',
            { class: 'small' },
            h(
              'a',
              {
                href: `${base}/api/admin/usage?${qs({ ...filters(s), group_by: d, format: 'csv' })}`,
                download: `usage-by-${d}.csv`,
              },
              `Download CSV (by ${d})`,
            ),
          ),
        ),
      ),
    ),
  ];
}

/** A budget's owner: its key's name over its id where it has one, else the id (projects, models, global). */
function owner(b: { scope: string; id: string; name?: string }): Node | string {
  if (!b.name) return b.id;
  return h(
    'span',
    { class: 'who', title: `${b.scope} id: ${b.id}` },
    h('span', {}, b.name),
    h('span', { class: 'muted small' }, b.id),
  );
}

const NO_BUDGETS =
  'No budgets configured. Set them in the config (governance.budgets, projects, keys), ' +
  'or give a key a monthly budget on the Keys page.';

async function budgets(): Promise<Node[]> {
  const res = await api('/admin/budget-status');
  return [
    h('h1', {}, 'Budgets'),
    h('p', { class: 'muted' }, 'Spend in the current period against each limit; tick marks are the alert thresholds.'),
    table(
      ['Scope', 'Name', 'Period', 'Spent / limit', 'Held', 'Remaining', 'Used', 'Thresholds crossed', 'Resets'],
      res.data.map((b: any) => [
        b.scope,
        owner(b),
        `${b.period} (${b.periodLabel})`,
        `${fmtUsd(b.spentUsd)} / ${fmtUsd(b.limitUsd)}`,
        fmtUsd(b.heldUsd),
        fmtUsd(b.remainingUsd),
        meter(b.percentUsed, b.alertAt),
        b.crossed.length ? b.crossed.map((t: number) => `${t} %`).join(', ') : 'none',
        b.resetsAt ? fmtTime(b.resetsAt) : 'never',
      ]),
      { empty: NO_BUDGETS }, // budgets run per period: no chosen range applies here
    ),
  ];
}

const STATUS_TEXT: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  408: 'timeout',
  429: 'too many requests',
  499: 'client closed',
  500: 'server error',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'gateway timeout',
};

async function errors(s: State): Promise<Node[]> {
  const res = await api(`/admin/errors?${qs({ ...filters(s), limit: 500 })}`);
  return [
    h('h1', {}, 'Error log'),
    h('p', { class: 'muted' }, 'Failed requests, newest first: metadata only (no prompts, no answers, no keys).'),
    table(
      ['Time', 'Key', 'Project', 'Model', 'Provider', 'Status', 'Error class', 'Attempts', 'Latency'],
      res.data.map((e: any) => [
        fmtTime(e.time),
        e.key ?? '–',
        e.project ?? '–',
        e.model ?? '–',
        e.provider ?? '–',
        h('span', { class: `status s${String(e.status)[0]}xx` }, `${e.status} ${STATUS_TEXT[e.status] ?? ''}`.trim()),
        e.errorClass ?? '–',
        String(e.attempts),
        fmtMs(e.latencyMs),
      ]),
      `${res.data.length} failed requests`,
    ),
  ];
}

const STATE_LABEL: Record<string, string> = {
  closed: '● closed (healthy)',
  'half-open': '◐ half-open (probing)',
  open: '○ open (refusing)',
};

async function health(): Promise<Node[]> {
  const res = await api('/admin/targets');
  return [
    h('h1', {}, 'Provider and target health'),
    h(
      'p',
      { class: 'muted' },
      res.breaker
        ? `Circuit breaker: opens after ${res.breaker.failureThreshold} consecutive failures ` +
            `or a ${Math.round(res.breaker.failureRate * 100)} % failure rate; ` +
            `cooldown ${Math.round(res.breaker.cooldownMs / 1000)} s.`
        : 'Circuit breakers are off.',
    ),
    table(
      [
        'Target',
        'Provider enabled',
        'Breaker',
        'Consecutive failures',
        'Open until',
        'Requests (15 min)',
        'Availability (15 min)',
        'p50',
        'p95',
      ],
      res.data.map((t: any) => [
        t.target,
        t.enabled ? 'yes' : 'no',
        h('span', { class: `state ${t.state}` }, STATE_LABEL[t.state] ?? t.state),
        String(t.consecutiveFailures ?? 0),
        t.openUntil ? `${fmtTime(t.openUntil)}${t.reason ? ` (${t.reason})` : ''}` : '–',
        fmtInt(t.last15m.requests),
        fmtPct(t.last15m.availability),
        fmtMs(t.last15m.p50),
        fmtMs(t.last15m.p95),
      ]),
      { empty: 'No targets configured or used yet.' },
    ),
  ];
}

const num = (v: FormDataEntryValue | null) => (v === null || String(v).trim() === '' ? undefined : Number(v));

function limitsOf(fd: FormData) {
  const l = {
    requestsPerMinute: num(fd.get('rpm')),
    tokensPerMinute: num(fd.get('tpm')),
    concurrent: num(fd.get('concurrent')),
  };
  const set = Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined));
  return Object.keys(set).length ? set : undefined;
}

function limitInputs(k: any = {}) {
  const l = k.limits ?? {};
  return [
    h(
      'label',
      {},
      'Requests/min',
      h('input', { name: 'rpm', type: 'number', min: '1', step: '1', value: l.requestsPerMinute?.toString() }),
    ),
    h(
      'label',
      {},
      'Tokens/min',
      h('input', { name: 'tpm', type: 'number', min: '1', step: '1', value: l.tokensPerMinute?.toString() }),
    ),
    h(
      'label',
      {},
      'Concurrent',
      h('input', { name: 'concurrent', type: 'number', min: '1', step: '1', value: l.concurrent?.toString() }),
    ),
  ];
}

async function keys(): Promise<Node[]> {
  const res = await api('/admin/keys');
  const out = h('div', { id: 'key-created', 'aria-live': 'polite' });
  const msg = h('p', { id: 'key-msg', role: 'status' });
  const create = h(
    'form',
    { class: 'panel form', id: 'create-key' },
    h('h2', {}, 'Create a key'),
    h(
      'div',
      { class: 'fields' },
      h('label', {}, 'Name', h('input', { name: 'name', required: true, maxlength: '80' })),
      h('label', {}, 'Project', h('input', { name: 'project', maxlength: '80' })),
      h('label', {}, 'Models (comma-separated, empty: all)', h('input', { name: 'models' })),
      ...limitInputs(),
      h('label', {}, 'Monthly budget (USD)', h('input', { name: 'budget', type: 'number', min: '0', step: 'any' })),
    ),
    h('button', { type: 'submit' }, 'Create key'),
  );
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(create);
    const body: Record<string, unknown> = { name: String(fd.get('name')) };
    if (String(fd.get('project') ?? '').trim()) body.project = String(fd.get('project')).trim();
    const models = String(fd.get('models') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    if (models.length) body.models = models;
    const limits = limitsOf(fd);
    if (limits) body.limits = limits;
    const budget = num(fd.get('budget'));
    if (budget !== undefined) body.budgets = [{ limitUsd: budget, period: 'month' }];
    try {
      const k = await api('/admin/keys', { method: 'POST', body });
      const code = h('code', { id: 'new-key' }, k.key);
      const copy = h(
        'button',
        {
          type: 'button',
          onclick: () => {
            void navigator.clipboard?.writeText(k.key).then(
              () => {
                copy.textContent = 'Copied';
              },
              () => undefined,
            );
          },
        },
        'Copy',
      );
      out.replaceChildren(
        h(
          'div',
          { class: 'panel created' },
          h(
            'p',
            {},
            h('strong', {}, `Key "${k.id}" created.`),
            ' Copy it now: it is shown once and cannot be retrieved again.',
          ),
          h('p', { class: 'keybox' }, code, ' ', copy),
        ),
      );
      create.reset();
      await renderKeyList();
    } catch (err) {
      msg.textContent = `Error: ${(err as Error).message}`;
    }
  });
  const list = h('div', { id: 'key-list' });
  async function renderKeyList(data?: any[]) {
    const ks = data ?? (await api('/admin/keys')).data;
    list.replaceChildren(
      table(
        ['Id', 'Name', 'Project', 'Status', 'Source', 'Models', 'Limits', 'Budgets', 'Created', 'Actions'],
        ks.map((k: any) => [
          k.id,
          k.name ?? '–',
          k.project ?? '–',
          h('span', { class: `keystatus ${k.status}` }, k.status),
          k.source,
          (k.models ?? ['all']).join(', '),
          k.limits
            ? Object.entries(k.limits)
                .map(([n, v]) => `${n}: ${v}`)
                .join(', ')
            : 'default',
          k.budgets ? k.budgets.map((b: any) => `${fmtUsd(b.limitUsd)}/${b.period ?? 'month'}`).join(', ') : '–',
          k.createdAt ? fmtTime(k.createdAt) : 'config',
          actions(k),
        ]),
        { caption: 'Virtual keys', empty: 'No keys yet: create one above.' },
      ),
    );
  }
  function actions(k: any): Node {
    if (k.source === 'config') return h('span', { class: 'muted small' }, 'edit in the config');
    if (k.status === 'revoked')
      return h('span', { class: 'muted small' }, `revoked ${k.revokedAt ? fmtTime(k.revokedAt) : ''}`);
    const revoke = h('button', { type: 'button', class: 'danger', 'data-revoke': k.id }, 'Revoke');
    revoke.addEventListener('click', async () => {
      if (revoke.dataset.confirm !== 'yes') {
        revoke.dataset.confirm = 'yes';
        revoke.textContent = 'Confirm revoke';
        return;
      }
      try {
        await api(`/admin/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
        msg.textContent = `Key "${k.id}" revoked.`;
        await renderKeyList();
      } catch (err) {
        msg.textContent = `Error: ${(err as Error).message}`;
      }
    });
    const edit = h(
      'form',
      { class: 'inline-form', 'data-edit': k.id },
      ...limitInputs(k),
      h('button', { type: 'submit' }, 'Save limits'),
    );
    edit.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api(`/admin/keys/${encodeURIComponent(k.id)}`, {
          method: 'PATCH',
          body: { limits: limitsOf(new FormData(edit)) ?? null },
        });
        msg.textContent = `Limits of "${k.id}" saved.`;
        await renderKeyList();
      } catch (err) {
        msg.textContent = `Error: ${(err as Error).message}`;
      }
    });
    return h('div', { class: 'actions' }, revoke, h('details', {}, h('summary', {}, 'Edit limits'), edit));
  }
  await renderKeyList(res.data);
  return [h('h1', {}, 'Keys'), out, msg, create, list];
}

// --- router ---

let seq = 0;
async function render(): Promise<void> {
  const s = state();
  const mine = ++seq;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.getAttribute('href') === `#${s.page}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.getElementById('filters')!.hidden = s.page === 'budgets' || s.page === 'health' || s.page === 'keys';
  document.title = `${s.page[0].toUpperCase()}${s.page.slice(1)} · Switchyard`;
  try {
    await refreshFilters(s);
    const nodes = await (
      { overview, costs, budgets, errors, health, keys } as Record<Page, (s: State) => Promise<Node[]>>
    )[s.page](s);
    if (mine !== seq) return;
    destroyCharts();
    view.replaceChildren(...nodes);
    view.dataset.page = s.page;
    view.dataset.ready = String(mine);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    if (mine !== seq) return;
    view.replaceChildren(
      h('p', { class: 'alert', role: 'alert' }, `Could not load this page: ${(err as Error).message}`),
    );
    view.dataset.ready = String(mine);
  }
}

for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a[href^="#"]')) {
  a.addEventListener('click', (e) => {
    e.preventDefault();
    go({ page: a.getAttribute('href')!.slice(1) as Page });
  });
}
fRange.addEventListener('change', () => {
  if (fRange.value !== 'custom') return go({ range: fRange.value });
  // start the custom range from the preset shown until now
  const { from, to } = span(state());
  fFrom.value = localInput(from);
  fTo.value = localInput(to);
  fCustom.hidden = false;
  fFrom.focus();
});
document.getElementById('f-apply')!.addEventListener('click', () => {
  if (!fFrom.value) return;
  go({ range: 'custom', from: fFrom.value, to: fTo.value });
});
fProject.addEventListener('change', () => go({ project: fProject.value }));
fKey.addEventListener('change', () => go({ key: fKey.value }));
document.getElementById('f-refresh')!.addEventListener('click', () => void render());
window.addEventListener('hashchange', () => void render());
void render();
