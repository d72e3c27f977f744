/** Shared browser helpers: DOM building (text only, never HTML strings), formatting, the API, charts. */
import uPlot from 'uplot';

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void) | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const base = document.body.dataset.base ?? '/dashboard';
const csrf = document.body.dataset.csrf ?? '';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${base}/api${path}`, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(init.method && init.method !== 'GET' ? { 'x-csrf-token': csrf } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (res.status === 401) {
    location.assign(base);
    throw new ApiError(401, 'Signed out');
  }
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, json?.error?.message ?? `HTTP ${res.status}`);
  return json as T;
}

export const qs = (o: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(o)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, String(v)]),
  ).toString();

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export function fmtUsd(n: number): string {
  if (n === 0) return '$0';
  if (Math.abs(n) >= 100) return `$${n.toFixed(2)}`;
  if (Math.abs(n) >= 1) return `$${n.toFixed(3)}`;
  return `$${Number(n.toPrecision(3)).toFixed(Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(Math.abs(n))))))}`;
}
export const fmtPct = (n: number | null) =>
  n === null || n === undefined ? '–' : `${(Math.round(n * 10) / 10).toFixed(1)} %`;
export const fmtMs = (n: number | null) =>
  n === null || n === undefined
    ? '–'
    : n >= 10_000
      ? `${(n / 1000).toFixed(1)} s`
      : `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
export const fmtTime = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });

/** A series: label (shown in the legend), values, and a dash pattern so lines differ without colour. */
export interface Series {
  label: string;
  values: Array<number | null>;
  color: string;
  dash?: number[];
  fmt?: (v: number) => string;
}

const charts = new Set<uPlot>();
let observer: ResizeObserver | undefined;

export function destroyCharts(): void {
  for (const c of charts) c.destroy();
  charts.clear();
}

/** Y-axis bounds: always the whole span (`fixed`), else the data's own range cut to it. */
export interface Bounds {
  min: number;
  max: number;
  fixed?: boolean;
}

/** Percentages: never below 0 or above 100 (uPlot pads a flat 100 % series out to 200 %). */
export const PERCENT: Bounds = { min: 0, max: 100 };

function boundedRange(b: Bounds): uPlot.Range.Function {
  return (_u, lo, hi) => {
    if (b.fixed || lo === null || hi === null) return [b.min, b.max];
    const [a, z] = uPlot.rangeNum(lo, hi, 0.1, true);
    const min = Math.max(b.min, a ?? b.min);
    const max = Math.min(b.max, z ?? b.max);
    return max > min ? [min, max] : [b.min, b.max];
  };
}

export function chart(
  title: string,
  xs: number[],
  series: Series[],
  opts: { yLabel?: string; bars?: boolean; y?: Bounds } = {},
): HTMLElement {
  const box = h('figure', { class: 'chart' }, h('figcaption', {}, title));
  const plot = h('div', { class: 'plot', role: 'img', 'aria-label': `${title} chart` });
  box.append(plot);
  requestAnimationFrame(() => {
    const width = Math.max(240, plot.clientWidth);
    const u = new uPlot(
      {
        width,
        height: 200,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, ...(opts.y ? { y: { range: boundedRange(opts.y) } } : {}) },
        axes: [
          { stroke: '#444', grid: { stroke: '#e4e4e4' } },
          {
            stroke: '#444',
            grid: { stroke: '#e4e4e4' },
            size: 76,
            label: opts.yLabel,
            values: (u, vals) => {
              const labels = vals.map((v) => (series[0].fmt ? series[0].fmt(v) : String(v)));
              // the axis is drawn on a canvas: its range and labels are also written here, for tests and tools
              plot.dataset.yMin = String(u.scales.y.min);
              plot.dataset.yMax = String(u.scales.y.max);
              plot.dataset.yTicks = JSON.stringify(labels);
              return labels;
            },
          },
        ],
        series: [
          {
            label: 'Time',
            value: (_u, v) =>
              v === null ? '–' : new Date(v * 1000).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' }),
          },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            dash: s.dash,
            fill: opts.bars ? `${s.color}33` : undefined,
            spanGaps: false,
            points: { show: true, size: 5 },
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : s.fmt ? s.fmt(v) : String(v)),
          })),
        ],
      },
      [xs, ...series.map((s) => s.values)] as uPlot.AlignedData,
      plot,
    );
    charts.add(u);
    observer ??= new ResizeObserver(() => {
      for (const c of charts) {
        const w = c.root.parentElement?.clientWidth;
        if (w && Math.abs(w - c.width) > 4) c.setSize({ width: Math.max(240, w), height: 200 });
      }
    });
    observer.observe(plot);
  });
  return box;
}

export interface TableOptions {
  caption?: string;
  /** The one row shown when there are none. Default "No data in this range." (pages with a time range). */
  empty?: string;
  class?: string;
}

export function table(headers: string[], rows: Child[][], o: string | TableOptions = {}): HTMLElement {
  const { caption, empty = 'No data in this range.', class: cls } = typeof o === 'string' ? { caption: o } : o;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: cls },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
      h(
        'tbody',
        {},
        ...(rows.length
          ? rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))
          : [h('tr', {}, h('td', { colspan: String(headers.length), class: 'muted empty' }, empty))]),
      ),
    ),
  );
}

/** A bar with its percentage written out (never colour alone). */
export function meter(pct: number, marks: number[] = []): HTMLElement {
  const bar = h('span', {
    class: `bar${pct >= 100 ? ' over' : pct >= (marks[marks.length - 2] ?? 80) ? ' warn' : ''}`,
  });
  bar.style.width = `${Math.min(100, Math.max(0, pct))}%`;
  const m = h(
    'span',
    {
      class: 'meter',
      role: 'progressbar',
      'aria-valuenow': String(Math.round(pct)),
      'aria-valuemin': '0',
      'aria-valuemax': '100',
    },
    bar,
  );
  for (const t of marks) {
    const tick = h('span', { class: 'tick', title: `alert at ${t} %` });
    tick.style.left = `${Math.min(100, t)}%`;
    m.append(tick);
  }
  return h('span', { class: 'meter-row' }, m, h('span', { class: 'meter-label' }, `${pct.toFixed(1)} %`));
}
