/** The status page: per-provider availability and latency over the last 24 hours and 7 days, from the usage ledger. */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { base, chart, fmtInt, fmtMs, fmtPct, h, PERCENT, table } from './common.js';

const view = document.getElementById('view')!;

function verdict(a: number | null): string {
  if (a === null) return '– no traffic';
  if (a >= 99.5) return '● operational';
  if (a >= 95) return '◐ degraded';
  return '○ major outage';
}

async function main(): Promise<void> {
  const res = await fetch(`${base}/api/status`, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  if (!res.ok) {
    view.replaceChildren(
      h('p', { class: 'alert', role: 'alert' }, `The status could not be loaded (HTTP ${res.status}).`),
    );
    return;
  }
  const s = await res.json();
  const nodes: Node[] = [
    h('h1', {}, 'Provider status'),
    h('p', { class: 'muted' }, `${s.note} Generated ${new Date(s.generatedAt).toLocaleString('en-GB')}.`),
    table(
      [
        'Provider',
        'Now (24 h)',
        'Availability 24 h',
        'p50 / p95 24 h',
        'Requests 24 h',
        'Availability 7 d',
        'p50 / p95 7 d',
        'Requests 7 d',
      ],
      s.providers.map((p: any) => [
        p.provider,
        h('span', { class: 'verdict' }, verdict(p.last24h.availability)),
        fmtPct(p.last24h.availability),
        `${fmtMs(p.last24h.p50)} / ${fmtMs(p.last24h.p95)}`,
        fmtInt(p.last24h.requests),
        fmtPct(p.last7d.availability),
        `${fmtMs(p.last7d.p50)} / ${fmtMs(p.last7d.p95)}`,
        fmtInt(p.last7d.requests),
      ]),
      { caption: 'Availability and latency per provider', empty: 'No providers configured.' },
    ),
  ];
  for (const p of s.providers) {
    const xs = p.hourly.map((b: any) => Date.parse(b.time) / 1000);
    nodes.push(
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, `${p.provider}${p.enabled ? '' : ' (not enabled)'}`),
        h(
          'div',
          { class: 'grid' },
          chart(
            `${p.provider}: availability per hour, last 24 h (%)`,
            xs,
            [
              {
                label: 'Availability',
                values: p.hourly.map((b: any) => b.availability),
                color: '#2d7d46',
                fmt: (v) => fmtPct(v),
              },
            ],
            { y: { ...PERCENT, fixed: true } }, // 0 to 100 %, whatever the data: a dip reads as a dip
          ),
          chart(`${p.provider}: latency per hour, last 24 h (ms)`, xs, [
            { label: 'p50', values: p.hourly.map((b: any) => b.p50), color: '#1f5fbf', fmt: (v) => fmtMs(v) },
            {
              label: 'p95',
              values: p.hourly.map((b: any) => b.p95),
              color: '#c0392b',
              dash: [6, 4],
              fmt: (v) => fmtMs(v),
            },
          ]),
        ),
        table(
          ['Day (UTC)', 'Availability', 'p50', 'p95', 'Requests', 'Failures'],
          p.daily.map((d: any) => [
            d.time.slice(0, 10),
            fmtPct(d.availability),
            fmtMs(d.p50),
            fmtMs(d.p95),
            fmtInt(d.requests),
            fmtInt(d.failures),
          ]),
          `${p.provider}: last 7 days`,
        ),
      ),
    );
  }
  view.replaceChildren(...nodes);
  view.dataset.ready = '1';
}

void main();
