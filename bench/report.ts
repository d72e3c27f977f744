/**
 * Results model and rendering: the Markdown tables (stdout and docs/benchmarks.md), the ratios, the
 * targets from the benchmark issue, the profile summary, and a dependency-free SVG bar chart.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadResult } from './load.js';
import { BENCH_DIR, ROOT } from './common.js';

export interface PhaseResult {
  load: LoadResult;
  /** CPU time (user+system) of the server process per completed request, ms. */
  cpuMsPerReq: number;
  /** Highest VmRSS of the server process while measuring, MiB. */
  rssMaxMiB: number;
  /** How many rounds were merged (medians). */
  rounds?: number;
  /** performance.now() in the orchestrator when measuring started / ended (not saved meaningfully). */
  measureStartAt?: number;
  measureEndAt?: number;
}

export interface ScenarioResult {
  id: string;
  label: string;
  /** What the server process is (for the reader). */
  process: string;
  skipped?: string;
  /** RSS right after start-up and one smoke request (V8 still holds the start-up garbage). */
  startRssMiB?: number;
  /** RSS after `settings.idleS` seconds without traffic (V8's memory reducer has run). */
  idleRssMiB?: number;
  /** RSS `settings.idleS` seconds after the last measured phase. */
  idleRssAfterMiB?: number;
  c1?: PhaseResult;
  cN?: PhaseResult;
  stream?: PhaseResult;
}

export interface ProfileEntry { name: string; where: string; selfMs: number; selfPct: number }
export interface ProfileSummary {
  scenario: string;
  date: string;
  requests: number;
  rps: number;
  totalMs: number;
  sampledMs: number;
  topFunctions: ProfileEntry[];
  byArea: Array<{ area: string; selfMs: number; selfPct: number }>;
}

export interface SoakResult {
  date: string;
  scenario: string;
  seconds: number;
  concurrency: number;
  requests: number;
  rps: number;
  errors: number;
  samples: Array<{ s: number; rssMiB: number }>;
}

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  machine: { nproc: number; cpu: string; node: string; os: string; memGiB: number; bareRssMiB?: number; bareTsxRssMiB?: number; runtime?: 'compiled' | 'tsx' };
  settings: { idleS?: number; prewarmS?: number; warmupS: number; durationS: number; streamDurationS: number; concurrency: number; streamChunks: number; chunkDelayMs: number; rounds?: number };
  /** 1-minute load average when measuring started and ended (other work on the machine shows here). */
  loadAverage?: { start: number; end: number };
  portkey: { version?: string; honoNodeServer?: string; skipped?: string };
  scenarios: ScenarioResult[];
}

export const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
export const PROFILE_FILE = path.join(BENCH_DIR, 'profile.json');
export const SOAK_FILE = path.join(BENCH_DIR, 'soak.json');
export const PROFILE_NOTES_FILE = path.join(BENCH_DIR, 'profile-notes.md');
export const DOC_FILE = path.join(ROOT, 'docs', 'benchmarks.md');
export const SVG_FILE = path.join(ROOT, 'docs', 'images', 'bench-throughput.svg');

const f = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const plus = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`);
const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(0)}%`);
const times = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(1)}×`);

function find(r: BenchResults, id: string): ScenarioResult | undefined {
  const s = r.scenarios.find((x) => x.id === id);
  return s && !s.skipped ? s : undefined;
}

/** The numbers every renderer needs, relative to direct (the floor), pass-through and Portkey. */
export function derive(r: BenchResults) {
  const direct = find(r, 'direct');
  const pass = find(r, 'passthrough');
  const portkey = find(r, 'portkey');
  return r.scenarios.map((s) => {
    if (s.skipped) return { s, skipped: s.skipped };
    const add = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : a - b);
    return {
      s,
      skipped: undefined,
      c1p50: s.c1?.load.latency.p50,
      c1p99: s.c1?.load.latency.p99,
      c1addP50: add(s.c1?.load.latency.p50, direct?.c1?.load.latency.p50),
      c1addP99: add(s.c1?.load.latency.p99, direct?.c1?.load.latency.p99),
      c1p99OverPass: add(s.c1?.load.latency.p99, pass?.c1?.load.latency.p99),
      cNp50: s.cN?.load.latency.p50,
      cNp99: s.cN?.load.latency.p99,
      cNaddP50: add(s.cN?.load.latency.p50, direct?.cN?.load.latency.p50),
      cNaddP99: add(s.cN?.load.latency.p99, direct?.cN?.load.latency.p99),
      rps: s.cN?.load.rps,
      ofDirect: s.cN && direct?.cN ? s.cN.load.rps / direct.cN.load.rps : undefined,
      ofPass: s.cN && pass?.cN ? s.cN.load.rps / pass.cN.load.rps : undefined,
      xPortkey: s.cN && portkey?.cN ? s.cN.load.rps / portkey.cN.load.rps : undefined,
      ttfb: s.stream?.load.ttfb?.p50,
      ttfbAdd: add(s.stream?.load.ttfb?.p50, direct?.stream?.load.ttfb?.p50),
      ttlb: s.stream?.load.latency.p50,
      ttlbAdd: add(s.stream?.load.latency.p50, direct?.stream?.load.latency.p50),
      startRss: s.startRssMiB,
      idleRss: s.idleRssMiB,
      loadRss: s.cN?.rssMaxMiB,
      cpuPerReq: s.cN?.cpuMsPerReq,
      errors: (s.c1?.load.errors ?? 0) + (s.cN?.load.errors ?? 0) + (s.stream?.load.errors ?? 0),
    };
  });
}

/** The tables alone (what `npm run bench` prints). */
export function renderTables(r: BenchResults): string {
  const c = r.settings.concurrency;
  const rows = derive(r);
  const out: string[] = [];
  out.push(`**Latency and throughput** (ms; "+" = added over direct to the upstream; non-streaming chat completions)`);
  out.push('');
  out.push(`| Scenario | p50 c=1 | +p50 c=1 | p99 c=1 | +p99 c=1 | p50 c=${c} | +p50 c=${c} | p99 c=${c} | req/s c=${c} | of direct | of pass-through | vs Portkey |`);
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const d of rows) {
    if (d.skipped) {
      out.push(`| ${d.s.label} | skipped: ${d.skipped.replace(/\|/g, '/')} |||||||||||`);
      continue;
    }
    out.push(`| ${d.s.label} | ${f(d.c1p50, 3)} | ${plus(d.c1addP50, 3)} | ${f(d.c1p99, 3)} | ${plus(d.c1addP99, 3)} | ${f(d.cNp50)} | ${plus(d.cNaddP50)} | ${f(d.cNp99)} | ${f(d.rps, 0)} | ${pct(d.ofDirect)} | ${pct(d.ofPass)} | ${times(d.xPortkey)} |`);
  }
  out.push('');
  out.push(`**Streaming and resources** (stream of ${r.settings.streamChunks} chunks, ${r.settings.chunkDelayMs} ms apart, c=1; RSS and CPU of the server process)`);
  out.push('');
  out.push(`| Scenario | TTFB p50 | +TTFB | TTLB p50 | +TTLB | RSS idle (MiB) | RSS under load (MiB) | CPU per request (ms, c=${c}) | errors |`);
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const d of rows) {
    if (d.skipped) continue;
    out.push(`| ${d.s.label} | ${f(d.ttfb, 3)} | ${plus(d.ttfbAdd, 3)} | ${f(d.ttlb, 2)} | ${plus(d.ttlbAdd, 3)} | ${f(d.idleRss, 1)} | ${f(d.loadRss, 1)} | ${f(d.cpuPerReq, 3)} | ${d.errors} |`);
  }
  return out.join('\n');
}

/** Short ratio summary (what bench/print.ts prints). */
export function renderRatios(r: BenchResults): string {
  const rows = derive(r);
  const out: string[] = [`Results of ${r.date} (${r.machine.nproc} CPUs, ${r.machine.cpu}, Node ${r.machine.node}${r.quick ? ', --quick' : ''})`, ''];
  out.push(`| Scenario | +p50 c=1 (ms) | +p99 c=1 (ms) | req/s c=${r.settings.concurrency} | of direct | of pass-through | vs Portkey | +TTFB (ms) |`);
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const d of rows) {
    if (d.skipped) out.push(`| ${d.s.label} | skipped: ${d.skipped} |||||||`);
    else out.push(`| ${d.s.label} | ${plus(d.c1addP50, 3)} | ${plus(d.c1addP99, 3)} | ${f(d.rps, 0)} | ${pct(d.ofDirect)} | ${pct(d.ofPass)} | ${times(d.xPortkey)} | ${plus(d.ttfbAdd, 3)} |`);
  }
  return out.join('\n');
}

/** The issue's targets (for the default-plugins scenario), met or not. */
export function renderTargets(r: BenchResults): string {
  const rows = derive(r);
  const get = (id: string) => rows.find((x) => x.s.id === id && !x.skipped);
  const d = get('sy-defaults');
  const a = get('sy-all');
  const p = get('passthrough');
  const ok = (v: boolean | undefined) => (v === undefined ? 'n/a' : v ? 'met' : '**not met**');
  const lines = ['| Target (default plugins) | Goal | Measured (defaults) | Status | All plugins | Pass-through, for reference |', '|---|---|---:|---|---:|---:|'];
  lines.push(`| Added p50 latency, c=1 | ≤ 0.3 ms | ${plus(d?.c1addP50, 3)} ms | ${ok(d?.c1addP50 === undefined ? undefined : d.c1addP50 <= 0.3)} | ${plus(a?.c1addP50, 3)} ms | ${plus(p?.c1addP50, 3)} ms |`);
  lines.push(`| p99 c=1 above pass-through's p99 | ≤ 0.5 ms | ${plus(d?.c1p99OverPass, 3)} ms | ${ok(d?.c1p99OverPass === undefined ? undefined : d.c1p99OverPass <= 0.5)} | ${plus(a?.c1p99OverPass, 3)} ms | p99 ${f(p?.c1p99, 3)} ms |`);
  lines.push(`| Throughput c=${r.settings.concurrency} vs pass-through | ≥ 75% | ${pct(d?.ofPass)} | ${ok(d?.ofPass === undefined ? undefined : d.ofPass >= 0.75)} | ${pct(a?.ofPass)} | ${f(p?.rps, 0)} req/s |`);
  lines.push(`| Throughput c=${r.settings.concurrency} vs Portkey | ≥ 8× | ${times(d?.xPortkey)} | ${ok(d?.xPortkey === undefined ? undefined : d.xPortkey >= 8)} | ${times(a?.xPortkey)} | ${times(p?.xPortkey)} |`);
  lines.push(`| Added streaming TTFB | ≤ 0.5 ms | ${plus(d?.ttfbAdd, 3)} ms | ${ok(d?.ttfbAdd === undefined ? undefined : d.ttfbAdd <= 0.5)} | ${plus(a?.ttfbAdd, 3)} ms | ${plus(p?.ttfbAdd, 3)} ms |`);
  lines.push(`| Idle RSS (after ${r.settings.idleS ?? 0} s without traffic) | < 80 MB | ${f(d?.idleRss, 1)} MiB | ${ok(d?.idleRss === undefined ? undefined : d.idleRss * 1.048576 < 80)} | ${f(a?.idleRss, 1)} MiB | ${f(p?.idleRss, 1)} MiB |`);
  if (d?.startRss !== undefined) {
    lines.push(`| RSS right after start-up (for reference) | – | ${f(d.startRss, 1)} MiB | – | ${f(a?.startRss, 1)} MiB | ${f(p?.startRss, 1)} MiB |`);
  }
  const tsx = (r.machine.bareTsxRssMiB ?? NaN) - (r.machine.bareRssMiB ?? NaN);
  if (r.machine.runtime !== 'compiled' && Number.isFinite(tsx) && d?.idleRss !== undefined) {
    const net = d.idleRss - tsx;
    lines.push(`| Idle RSS without the tsx loader (estimate) | < 80 MB | ${f(net, 1)} MiB | ${ok(net * 1.048576 < 80)} | ${f((a?.idleRss ?? NaN) - tsx, 1)} MiB | ${f((p?.idleRss ?? NaN) - tsx, 1)} MiB |`);
  }
  return lines.join('\n');
}

/**
 * Where an absolute target is below what the undici pass-through itself reaches on this machine, say
 * so, with Switchyard's figure relative to the pass-through (the part the gateway is responsible for).
 */
export function floorNotes(r: BenchResults): string {
  const rows = derive(r);
  const d = rows.find((x) => x.s.id === 'sy-defaults' && !x.skipped);
  const p = rows.find((x) => x.s.id === 'passthrough' && !x.skipped);
  if (!d || !p) return '';
  const notes: string[] = [];
  if (p.c1addP50 !== undefined && d.c1addP50 !== undefined && p.c1addP50 > 0.3) {
    notes.push(`the pass-through alone adds ${f(p.c1addP50, 3)} ms at p50 (c=1), above the 0.3 ms target; Switchyard with the default plugins adds ${plus(d.c1addP50 - p.c1addP50, 3)} ms over the pass-through`);
  }
  if (p.ttfbAdd !== undefined && d.ttfbAdd !== undefined && p.ttfbAdd > 0.5) {
    notes.push(`the pass-through alone adds ${f(p.ttfbAdd, 3)} ms to the streaming TTFB, above the 0.5 ms target; Switchyard adds ${plus(d.ttfbAdd - p.ttfbAdd, 3)} ms over the pass-through`);
  }
  if (p.xPortkey !== undefined && d.xPortkey !== undefined && p.xPortkey < 8) {
    notes.push(`the pass-through itself reaches only ${times(p.xPortkey)} Portkey's throughput here, so 8× would take ${pct(8 / p.xPortkey)} of the pass-through's throughput; Switchyard with the default plugins reaches ${pct(d.ofPass)} of the pass-through`);
  }
  return notes.length ? `On this machine some absolute targets are below the floor: ${notes.join('; ')}.` : '';
}

export function renderSoak(k: SoakResult): string {
  const out: string[] = [];
  const first = k.samples[1] ?? k.samples[0];
  const last = k.samples[k.samples.length - 1];
  const peak = Math.max(...k.samples.map((x) => x.rssMiB));
  // Least-squares slope of RSS over time, leaving out the first minute (warm-up, heap sizing).
  const pts = k.samples.filter((x) => x.s >= Math.min(60, k.seconds / 5) && Number.isFinite(x.rssMiB));
  let slope = NaN;
  if (pts.length >= 3) {
    const mx = pts.reduce((n, x) => n + x.s, 0) / pts.length;
    const my = pts.reduce((n, x) => n + x.rssMiB, 0) / pts.length;
    const num = pts.reduce((n, x) => n + (x.s - mx) * (x.rssMiB - my), 0);
    const den = pts.reduce((n, x) => n + (x.s - mx) ** 2, 0);
    slope = den ? (num / den) * 60 : NaN;
  }
  out.push(`Scenario \`${k.scenario}\`, ${k.seconds} s at concurrency ${k.concurrency} (${k.requests} requests, ${k.rps.toFixed(0)} req/s, ${k.errors} errors), ${k.date}. RSS ${first.rssMiB.toFixed(1)} MiB after the first interval, ${last.rssMiB.toFixed(1)} MiB at the end (2 s after the load stopped), peak ${peak.toFixed(1)} MiB; trend after the first minute ${Number.isFinite(slope) ? `${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/min` : 'n/a'} (least squares). The ups and downs are the garbage collector's sawtooth; a leak would show as a steady climb.`);
  out.push('');
  const step = Math.max(1, Math.ceil(k.samples.length / 12));
  const shown = k.samples.filter((_, i) => i % step === 0 || i === k.samples.length - 1);
  out.push('| Time (s) | ' + shown.map((x) => x.s.toFixed(0)).join(' | ') + ' |');
  out.push('|---|' + shown.map(() => '---:').join('|') + '|');
  out.push('| RSS (MiB) | ' + shown.map((x) => x.rssMiB.toFixed(1)).join(' | ') + ' |');
  out.push('');
  const w = 24;
  const lo = Math.min(...k.samples.map((x) => x.rssMiB));
  const bars = shown.map((x) => `${x.s.toFixed(0).padStart(5)} s ${'#'.repeat(Math.max(1, Math.round(((x.rssMiB - lo * 0.9) / (peak - lo * 0.9 || 1)) * w)))} ${x.rssMiB.toFixed(1)}`);
  out.push('```');
  out.push(...bars);
  out.push('```');
  return out.join('\n');
}

export function renderProfile(p: ProfileSummary): string {
  const out: string[] = [];
  out.push(`Scenario \`${p.scenario}\` under c=64 load (${p.requests} requests, ${p.rps.toFixed(0)} req/s), \`node --cpu-prof\` on the gateway process's main thread, samples from the measured ${(p.totalMs / 1000).toFixed(1)} s only (start-up and module loading left out), ${p.date}. Self time excludes idle; shares are of the ${p.sampledMs.toFixed(0)} ms of sampled non-idle time. "V8 / native" is mostly \`writev\`/\`writeString\` (socket and log-file writes, i.e. system-call time) and microtask running.`);
  out.push('');
  out.push('By area:');
  out.push('');
  out.push('| Area | Self time (ms) | Share |');
  out.push('|---|---:|---:|');
  for (const a of p.byArea) out.push(`| ${a.area} | ${a.selfMs.toFixed(0)} | ${a.selfPct.toFixed(1)}% |`);
  out.push('');
  out.push('Top functions by self time:');
  out.push('');
  out.push('| # | Function | Where | Self (ms) | Share |');
  out.push('|---:|---|---|---:|---:|');
  p.topFunctions.forEach((e, i) => out.push(`| ${i + 1} | \`${e.name}\` | ${e.where} | ${e.selfMs.toFixed(0)} | ${e.selfPct.toFixed(1)}% |`));
  return out.join('\n');
}

/** A horizontal bar chart of requests/second at concurrency N, without dependencies. */
export function renderSvg(r: BenchResults): string {
  const rows = derive(r).filter((d) => !d.skipped && d.rps !== undefined && Number.isFinite(d.rps));
  const max = Math.max(1, ...rows.map((d) => d.rps as number));
  const rowH = 34;
  const left = 230;
  const width = 760;
  const barMax = width - left - 150;
  const top = 48;
  const height = top + rows.length * rowH + 40;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const colour = (id: string) => (id === 'direct' ? '#9aa5b1' : id === 'passthrough' ? '#7b8794' : id === 'portkey' ? '#e07a5f' : '#3d5a80');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">Requests per second at concurrency ${r.settings.concurrency} (higher is better)</text>`);
  rows.forEach((d, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, Math.round(((d.rps as number) / max) * barMax));
    const note = d.s.id === 'direct' ? '' : ` (${pct(d.ofDirect)} of direct)`;
    parts.push(`<text x="${left - 10}" y="${y + 17}" text-anchor="end">${esc(d.s.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${w}" height="${rowH - 12}" fill="${colour(d.s.id)}" rx="2"/>`);
    parts.push(`<text x="${left + w + 6}" y="${y + 17}">${(d.rps as number).toFixed(0)}${esc(note)}</text>`);
  });
  parts.push(`<text x="${left}" y="${height - 12}" fill="#52606d" font-size="11">${esc(`${r.machine.nproc} CPUs (${r.machine.cpu}), Node ${r.machine.node}; load generator, upstream and server on the same machine; ${r.date}`)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function renderDoc(r: BenchResults, profile?: ProfileSummary, notes?: string, soak?: SoakResult): string {
  const s = r.settings;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push('A gateway sits in the path of every model call, so its own overhead has to stay close to nothing. `npm run bench` measures Switchyard against the floor (the emulated upstream called directly), against a minimal undici pass-through proxy (the floor for any Node gateway) and against Portkey\'s open-source gateway, side by side in one run so that the ratios hold on a noisy machine.');
  out.push('');
  out.push('This file is written by `npm run bench` (the tables, chart and targets) from `bench/results.json`; the profile section comes from `npm run bench -- --profile` and the notes in `bench/profile-notes.md`.');
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(`- CPUs: ${r.machine.nproc} (\`nproc\`), ${r.machine.cpu}`);
  out.push(`- Memory: ${r.machine.memGiB.toFixed(1)} GiB; OS: ${r.machine.os}`);
  if (r.machine.runtime === 'compiled') {
    out.push(`- Node ${r.machine.node}; every server runs as plain JavaScript: Switchyard from its compiled build (\`dist/\`, what \`npm run build\` ships and what \`switchyard start\` runs for a JavaScript config), the bench's own entry points bundled by esbuild into \`bench/.build/\`. (\`BENCH_TSX=1\` runs everything under \`node --import tsx\` instead, as \`switchyard start\` runs with a TypeScript config: a bare node:http server measured ${f(r.machine.bareRssMiB, 1)} MiB RSS plain and ${f(r.machine.bareTsxRssMiB, 1)} MiB under tsx, so the loader costs about ${f((r.machine.bareTsxRssMiB ?? NaN) - (r.machine.bareRssMiB ?? NaN), 0)} MiB.)`);
  } else {
    out.push(`- Node ${r.machine.node}; every process (Portkey's too) is run with \`node --import tsx\` (BENCH_TSX=1). The loader costs memory: a bare node:http server measured ${f(r.machine.bareRssMiB, 1)} MiB RSS plain and ${f(r.machine.bareTsxRssMiB, 1)} MiB under tsx, so about ${f((r.machine.bareTsxRssMiB ?? NaN) - (r.machine.bareRssMiB ?? NaN), 0)} MiB of every RSS figure below is tsx, which a compiled build (\`dist/\`) does not carry.`);
  }
  out.push(`- Load generator, emulated upstream and the server under test all share these CPUs; traffic is on 127.0.0.1 only.`);
  out.push(`- Run: ${r.date}${r.quick ? ' (**--quick**: short smoke-run durations, numbers are rough)' : ''}`);
  out.push('');
  out.push('## Commands');
  out.push('');
  out.push('```sh');
  out.push('npm run bench                      # full run, about 5 minutes');
  out.push('npm run bench -- --quick           # ~30 s smoke run');
  out.push('BENCH_DURATION=10 BENCH_ROUNDS=3 npm run bench   # seconds per phase and round (default 4 s x 3 rounds)');
  out.push('npm run bench -- --only=direct,passthrough,sy-defaults   # a subset');
  out.push('npm run bench -- --profile         # --cpu-prof of Switchyard (default plugins) under c=64 load');
  out.push('npm run bench -- --soak            # 10-minute memory soak of Switchyard (default plugins), RSS curve');
  out.push('npx tsx bench/print.ts             # print the last results\' ratios');
  out.push('```');
  out.push('');
  out.push(`This run: \`${r.command}\`. Settings: a pre-warm of ${s.prewarmS ?? 0} s at concurrency ${s.concurrency} per server (not measured), then ${s.rounds ?? 1} round(s), interleaved (every scenario runs a phase before the next phase or round starts); in each, a warm-up of ${s.warmupS} s then ${s.durationS} s measured per scenario and phase (streaming: ${s.streamDurationS} s); concurrency 1 and ${s.concurrency}; streams of ${s.streamChunks} chunks ${s.chunkDelayMs} ms apart. With several rounds every figure is the median over rounds (RSS under load: the highest). Other knobs: \`BENCH_PREWARM\`, \`BENCH_ROUNDS\`, \`BENCH_WARMUP\`, \`BENCH_STREAM_DURATION\`, \`BENCH_CONCURRENCY\`, \`BENCH_CHUNKS\`, \`BENCH_CHUNK_DELAY_MS\`, \`BENCH_NO_PORTKEY=1\`.`);
  if (r.loadAverage) {
    out.push('');
    out.push(`1-minute load average at the start and end of measuring: ${r.loadAverage.start.toFixed(2)} and ${r.loadAverage.end.toFixed(2)} on ${r.machine.nproc} CPUs. The bench itself keeps about 3 processes busy at concurrency ${s.concurrency}; anything above that is other work on the machine, which makes the absolute numbers noisier (the side-by-side ratios hold up better).`);
  }
  out.push('');
  out.push('## Scenarios');
  out.push('');
  out.push('| Scenario | Server process |');
  out.push('|---|---|');
  for (const sc of r.scenarios) out.push(`| ${sc.label} | ${sc.process}${sc.skipped ? ` — **skipped**: ${sc.skipped}` : ''} |`);
  out.push('');
  out.push('Every request carries a unique prompt, so the cache in "all plugins" only ever misses (the miss path and the store are what is measured). The load generator is a closed loop of workers over an undici pool (one keep-alive connection per worker) with microsecond timing; autocannon was not used because it rounds latencies to whole milliseconds.');
  out.push('');
  out.push('## Results');
  out.push('');
  out.push(renderTables(r));
  out.push('');
  out.push('![Requests per second at concurrency ' + s.concurrency + '](images/bench-throughput.svg)');
  out.push('');
  out.push('"of direct", "of pass-through" and "vs Portkey" are request-rate ratios at concurrency ' + s.concurrency + '. CPU per request is the server process\'s user+system time (from `/proc/<pid>/stat`) over the measured phase divided by the requests completed; for "direct" it is the upstream\'s own cost. RSS is `VmRSS` from `/proc/<pid>/status`: idle after ' + (s.idleS ?? 0) + ' s without traffic (after start-up and one smoke request; V8 returns the start-up garbage to the OS only after its memory reducer has run, somewhere between 20 and 60 s into an idle process, so the figure right after start-up is in the targets table too), and the highest sample during the concurrency-' + s.concurrency + ' phase.');
  out.push('');
  out.push('## Targets (from the benchmark issue)');
  out.push('');
  out.push(renderTargets(r));
  const floorNote = floorNotes(r);
  if (floorNote) {
    out.push('');
    out.push(floorNote);
  }
  out.push('');
  out.push(`RSS ${s.idleS ?? 0} s after the last measured phase, per process: ` +
    r.scenarios.filter((x) => !x.skipped).map((x) => `${x.label} ${f(x.idleRssAfterMiB, 1)} MiB`).join(', ') + '.');
  out.push('');
  out.push('## Memory soak');
  out.push('');
  if (soak) out.push(renderSoak(soak));
  else out.push('Not run yet: `npm run bench -- --soak` (10 minutes; `--soak=SECONDS`, `--soak-scenario=all`) writes `bench/soak.json` and this section.');
  out.push('');
  if (profile) {
    out.push('## Profile');
    out.push('');
    out.push(renderProfile(profile));
    out.push('');
  }
  if (notes?.trim()) {
    if (!profile) out.push('## Profile');
    out.push(notes.trim());
    out.push('');
  }
  return out.join('\n');
}

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Write docs/benchmarks.md and the SVG from the saved results (and profile, if any). */
export function writeDoc(r: BenchResults): void {
  const profile = readJson<ProfileSummary>(PROFILE_FILE);
  const notes = existsSync(PROFILE_NOTES_FILE) ? readFileSync(PROFILE_NOTES_FILE, 'utf8') : undefined;
  mkdirSync(path.dirname(SVG_FILE), { recursive: true });
  writeFileSync(SVG_FILE, renderSvg(r));
  // Sections written by the other benchmarks (bench/cache.ts, bench/failover.ts, ...) live below the
  // marker and are kept as they are.
  const existing = existsSync(DOC_FILE) ? readFileSync(DOC_FILE, 'utf8') : '';
  const at = existing.indexOf(OTHER_BENCHMARKS_MARKER);
  const tail = at === -1 ? `\n${OTHER_BENCHMARKS_MARKER}\n` : `\n${existing.slice(at)}`;
  writeFileSync(DOC_FILE, renderDoc(r, profile, notes, readJson<SoakResult>(SOAK_FILE)).trimEnd() + '\n' + tail);
}

/** Everything after this line in docs/benchmarks.md is written by the other bench scripts. */
export const OTHER_BENCHMARKS_MARKER = '<!-- sections below: other bench scripts (cache, failover, redis); npm run bench keeps them -->';
