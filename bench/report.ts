/**
 * Results model and rendering: the Markdown tables (stdout and docs/benchmarks.md), the ratios to the
 * floor, the targets of the hot-path issue, instruction counts, profiles, and a dependency-free SVG
 * bar chart.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, median, ROOT } from './common.js';

export interface Stats {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}
export type PhaseKey = 'c1' | 'cN' | 'stream1' | 'streamN';

export interface PhaseResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  /** ms: whole request, or for a stream until its last byte. */
  latency: Stats;
  /** ms to the first body byte (the first SSE event): streams at c=1. */
  ttfb?: Stats;
  /** CPU time (user+system, /proc/<pid>/stat) of the server process over the phase, ms. */
  cpuMs?: number;
  /** The same per completed request, ms. */
  cpuMsPerReq?: number;
  /** The same per SSE event relayed (streams), µs. */
  cpuUsPerChunk?: number;
  /** Highest VmRSS of the server process while measuring, MiB. */
  rssMaxMiB?: number;
  /** How many rounds were merged (medians). */
  rounds?: number;
  /** Each round's figures, in round order (the paired ratios to the floor's come from these). */
  perRound?: { rps: number[]; cpuMsPerReq: number[]; p50: number[]; ttfbP50?: number[]; cpuUsPerChunk?: number[] };
}

export interface ScenarioResult {
  id: string;
  label: string;
  /** What the server process is (for the reader). */
  process: string;
  skipped?: string;
  /** Started for its idle memory only (no load phases). */
  idleOnly?: boolean;
  /** RSS right after start-up and the smoke requests (V8 still holds the start-up garbage). */
  startRssMiB?: number;
  /** RSS after `settings.idleS` seconds without traffic (V8's memory reducer has run). */
  idleRssMiB?: number;
  /** RSS `settings.idleS` seconds after the last measured phase. */
  idleRssAfterMiB?: number;
  c1?: PhaseResult;
  cN?: PhaseResult;
  stream1?: PhaseResult;
  streamN?: PhaseResult;
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  selfPct: number;
  usPerReq?: number;
}
export interface AllocationSummary {
  bytesPerRequest: number;
  topFunctions: Array<{ name: string; where: string; bytesPerRequest: number; pct: number }>;
  byArea: Array<{ area: string; bytesPerRequest: number; pct: number }>;
}
export interface ProfileSummary {
  scenario: string;
  date: string;
  requests: number;
  rps: number;
  totalMs: number;
  sampledMs: number;
  cpuMsPerReq?: number;
  topFunctions: ProfileEntry[];
  byArea: Array<{ area: string; selfMs: number; selfPct: number; usPerReq?: number }>;
  allocations?: AllocationSummary;
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
  /** Once a minute (and before and after the load): a full collection, then the memory it left. */
  afterGc?: Array<{ s: number; rssMiB: number; heapUsedMiB: number; externalMiB: number }>;
}

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  machine: { nproc: number; cpu: string; node: string; os: string; memGiB: number; runtime?: 'compiled' | 'tsx' };
  settings: {
    idleS: number;
    prewarmS: number;
    warmupS: number;
    durationS: number;
    concurrency: number;
    streamChunks: number;
    chunkDelayMs: number;
    eventsPerStream: number;
    rounds: number;
    /** Slices of each server's measured time in a round, taken in turns (absent: one piece). */
    slices?: number;
    loadGenerator: string;
  };
  /** 1-minute load average when measuring started and ended (other work on the machine shows here). */
  loadAverage?: { start: number; end: number };
  portkey: { version?: string; honoNodeServer?: string; skipped?: string };
  scenarios: ScenarioResult[];
}

/** bench/instructions.json (the gate's committed figures) and bench/instructions-report.json. */
export interface InstructionsData {
  date: string;
  node: string;
  valgrind: string;
  nodeFlags: string[];
  settings: { warmup: number; requests: number; windows: number; runs: number };
  tolerance: number;
  scenarios: Record<
    string,
    | {
        main: number;
        all: number;
        samples: number[];
        allSamples: number[];
        runs: number;
        /** Main-thread instructions per request by kind of code (report mode). */
        breakdown?: Record<string, number>;
        topNative?: Array<{ name: string; object: string; perRequest: number }>;
      }
    | undefined
  >;
}

export const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
export const PROFILE_FILE = path.join(BENCH_DIR, 'profile.json');
export const SOAK_FILE = path.join(BENCH_DIR, 'soak.json');
export const PROFILE_NOTES_FILE = path.join(BENCH_DIR, 'profile-notes.md');
export const INSTRUCTIONS_FILE = path.join(BENCH_DIR, 'instructions.json');
export const INSTRUCTIONS_REPORT_FILE = path.join(BENCH_DIR, 'instructions-report.json');
export const DOC_FILE = path.join(ROOT, 'docs', 'benchmarks.md');
export const SVG_FILE = path.join(ROOT, 'docs', 'images', 'bench-throughput.svg');

const ok = (v: number | undefined) => v !== undefined && Number.isFinite(v);
const f = (v: number | undefined, digits = 2) => (ok(v) ? v!.toFixed(digits) : '–');
const plus = (v: number | undefined, digits = 2) => (ok(v) ? `${v! >= 0 ? '+' : ''}${v!.toFixed(digits)}` : '–');
const times = (v: number | undefined, digits = 2) => (ok(v) ? `${v!.toFixed(digits)}×` : '–');
/** How a round's measured time was taken: in turns, slice by slice (bench/slices.ts), or in one piece. */
const sliced = (s: BenchResults['settings']) =>
  s.slices && s.slices > 1
    ? `, in ${s.slices} slices of ${Math.round(s.durationS / s.slices)} s: the servers take turns slice by slice, ` +
      "so that all of them are measured over the same stretch of the round; each phase's latency percentiles " +
      "are its slices', weighted by their requests"
    : ', in one piece, one server after another';
const int = (v: number | undefined) => (ok(v) ? Math.round(v!).toLocaleString('en-US') : '–');
const status = (v: boolean | undefined) => (v === undefined ? 'n/a' : v ? 'met' : '**not met**');
const MB = 1.048576; // MiB -> MB

function find(r: BenchResults, id: string): ScenarioResult | undefined {
  const s = r.scenarios.find((x) => x.id === id);
  return s && !s.skipped ? s : undefined;
}

const sub = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : a - b);
const div = (a?: number, b?: number) => (a === undefined || b === undefined || !b ? undefined : a / b);

/**
 * A figure compared with the floor's round by round: `op(server's round i, floor's round i)` for each
 * round both have, and their median. The servers of one round run minutes apart at most, the rounds
 * further apart, so a paired comparison cancels what the machine did between rounds (another tenant's
 * load moved the floor's own req/s by 1.7x between rounds of one run); without rounds on both sides,
 * `op` of the two medians.
 */
function paired(
  mine: number[] | undefined,
  floor: number[] | undefined,
  op: (a: number, b: number) => number | undefined,
  fallback: number | undefined,
): { value: number | undefined; rounds: number[] } {
  if (!mine || !floor || mine.length < 2 || mine.length !== floor.length) return { value: fallback, rounds: [] };
  const rounds = mine.map((m, i) => op(m, floor[i]!)).filter((x): x is number => ok(x));
  return { value: rounds.length ? median(rounds) : fallback, rounds };
}

/**
 * The figures every renderer needs, relative to the upstream (direct), the floor and Portkey. Ratios and
 * differences to the floor are paired by round (see `paired`); the absolute figures are medians.
 */
export function derive(r: BenchResults) {
  const direct = find(r, 'direct');
  const floor = find(r, 'floor');
  const portkey = find(r, 'portkey');
  return r.scenarios.map((s) => {
    const addP50 = sub(s.c1?.latency.p50, direct?.c1?.latency.p50);
    const floorAddP50 = sub(floor?.c1?.latency.p50, direct?.c1?.latency.p50);
    const addTtfb = sub(s.stream1?.ttfb?.p50, direct?.stream1?.ttfb?.p50);
    const floorAddTtfb = sub(floor?.stream1?.ttfb?.p50, direct?.stream1?.ttfb?.p50);
    const ofFloor = paired(s.cN?.perRound?.rps, floor?.cN?.perRound?.rps, div, div(s.cN?.rps, floor?.cN?.rps));
    const cpuVsFloor = paired(
      s.cN?.perRound?.cpuMsPerReq,
      floor?.cN?.perRound?.cpuMsPerReq,
      div,
      div(s.cN?.cpuMsPerReq, floor?.cN?.cpuMsPerReq),
    );
    return {
      s,
      skipped: s.skipped,
      idleOnly: s.idleOnly,
      rps: s.cN?.rps,
      ofFloor: ofFloor.value,
      /** The server's req/s over the floor's in each round (c=N). */
      ofFloorRounds: ofFloor.rounds,
      ofDirect: div(s.cN?.rps, direct?.cN?.rps),
      xPortkey: div(s.cN?.rps, portkey?.cN?.rps),
      cpu: s.cN?.cpuMsPerReq,
      cpuVsFloor: cpuVsFloor.value,
      cpuVsFloorRounds: cpuVsFloor.rounds,
      cpuAboveFloor: sub(s.cN?.cpuMsPerReq, floor?.cN?.cpuMsPerReq),
      p50: s.c1?.latency.p50,
      p99: s.c1?.latency.p99,
      addP50,
      addP99: sub(s.c1?.latency.p99, direct?.c1?.latency.p99),
      addP50OverFloor: paired(s.c1?.perRound?.p50, floor?.c1?.perRound?.p50, sub, sub(addP50, floorAddP50)).value,
      cNp50: s.cN?.latency.p50,
      cNp99: s.cN?.latency.p99,
      ttfb: s.stream1?.ttfb?.p50,
      addTtfb,
      addTtfbOverFloor: paired(
        s.stream1?.perRound?.ttfbP50,
        floor?.stream1?.perRound?.ttfbP50,
        sub,
        sub(addTtfb, floorAddTtfb),
      ).value,
      ttlb: s.stream1?.latency.p50,
      chunkUs: s.streamN?.cpuUsPerChunk,
      chunkVsFloor: paired(
        s.streamN?.perRound?.cpuUsPerChunk,
        floor?.streamN?.perRound?.cpuUsPerChunk,
        div,
        div(s.streamN?.cpuUsPerChunk, floor?.streamN?.cpuUsPerChunk),
      ).value,
      streamsPerS: s.streamN?.rps,
      startRss: s.startRssMiB,
      idleRss: s.idleRssMiB,
      loadRss: s.cN?.rssMaxMiB,
      afterRss: s.idleRssAfterMiB,
      errors: (s.c1?.errors ?? 0) + (s.cN?.errors ?? 0) + (s.stream1?.errors ?? 0) + (s.streamN?.errors ?? 0),
    };
  });
}

/** The tables alone (what `npm run bench` prints). */
export function renderTables(r: BenchResults): string {
  const c = r.settings.concurrency;
  const rows = derive(r);
  const loaded = rows.filter((d) => !d.skipped && !d.idleOnly);
  const out: string[] = [];
  out.push(
    `**Throughput, CPU and latency** (non-streamed chat completions; "+" = added over calling the upstream directly)`,
  );
  out.push('');
  out.push(
    `| Server | req/s c=${c} | vs floor | vs Portkey | CPU per request (ms) | CPU vs floor | +p50 c=1 (ms) ` +
      `| +p50 over the floor's | +p99 c=1 (ms) | p50 / p99 c=${c} (ms) |`,
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const d of rows) {
    if (d.idleOnly) continue;
    if (d.skipped) {
      out.push(`| ${d.s.label} | skipped: ${d.skipped.replace(/\|/g, '/')} |||||||||`);
      continue;
    }
    out.push(
      `| ${d.s.label} | ${f(d.rps, 0)} | ${times(d.ofFloor)} | ${times(d.xPortkey, 1)} | ${f(d.cpu, 3)} | ` +
        `${times(d.cpuVsFloor)} | ${plus(d.addP50, 3)} | ${plus(d.addP50OverFloor, 3)} | ${plus(d.addP99, 3)} ` +
        `| ${f(d.cNp50, 1)} / ${f(d.cNp99, 1)} |`,
    );
  }
  out.push('');
  out.push(
    `**Streaming** (${r.settings.streamChunks} content chunks ${r.settings.chunkDelayMs} ms apart, plus the ` +
      `usage chunk and [DONE]: ${r.settings.eventsPerStream} SSE events per stream; TTFB at c=1, CPU ` +
      `at c=${c})`,
  );
  out.push('');
  out.push(
    `| Server | TTFB p50 (ms) | +TTFB | +TTFB over the floor's | last byte p50 (ms) | streams/s c=${c} | ` +
      'CPU per chunk (µs) | vs floor |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const d of loaded) {
    out.push(
      `| ${d.s.label} | ${f(d.ttfb, 3)} | ${plus(d.addTtfb, 3)} | ${plus(d.addTtfbOverFloor, 3)} | ` +
        `${f(d.ttlb, 2)} | ${f(d.streamsPerS, 0)} | ${f(d.chunkUs, 1)} | ${times(d.chunkVsFloor)} |`,
    );
  }
  out.push('');
  out.push(`**Memory** (VmRSS of the server process, MiB)`);
  out.push('');
  out.push(
    `| Server | after start-up | idle (${r.settings.idleS} s without traffic) | peak under load (c=${c}) | ` +
      'idle after the run | errors |',
  );
  out.push('|---|---:|---:|---:|---:|---:|');
  for (const d of rows) {
    if (d.skipped) continue;
    out.push(
      `| ${d.s.label} | ${f(d.startRss, 1)} | ${f(d.idleRss, 1)} | ${f(d.loadRss, 1)} | ${f(d.afterRss, 1)} ` +
        `| ${d.idleOnly ? '–' : d.errors} |`,
    );
  }
  const spreads = loaded.filter((d) => (d.s.cN?.perRound?.rps.length ?? 0) > 1);
  if (spreads.length) {
    out.push('');
    out.push(
      `**Round by round** (req/s at c=${c} and CPU per request in each round; the tables above show the medians)`,
    );
    out.push('');
    out.push('| Server | req/s per round | CPU ms/request per round |');
    out.push('|---|---|---|');
    for (const d of spreads) {
      out.push(
        `| ${d.s.label} | ${d.s.cN!.perRound!.rps.map((x) => x.toFixed(0)).join(', ')} | ` +
          `${d.s.cN!.perRound!.cpuMsPerReq.map((x) => x.toFixed(3)).join(', ')} |`,
      );
    }
  }
  return out.join('\n');
}

/** Short ratio summary (what bench/print.ts prints). */
export function renderRatios(r: BenchResults): string {
  const rows = derive(r);
  const out: string[] = [
    `Results of ${r.date} (${r.machine.nproc} CPUs, ${r.machine.cpu}, Node ` +
      `${r.machine.node}${r.quick ? ', --quick' : ''})`,
    '',
  ];
  out.push(
    `| Server | req/s c=${r.settings.concurrency} | vs floor | CPU vs floor | +p50 c=1 (ms) | +TTFB (ms) | ` +
      'CPU/chunk vs floor |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const d of rows) {
    if (d.idleOnly) continue;
    if (d.skipped) out.push(`| ${d.s.label} | skipped: ${d.skipped} ||||||`);
    else
      out.push(
        `| ${d.s.label} | ${f(d.rps, 0)} | ${times(d.ofFloor)} | ${times(d.cpuVsFloor)} | ` +
          `${plus(d.addP50, 3)} | ${plus(d.addTtfb, 3)} | ${times(d.chunkVsFloor)} |`,
      );
  }
  return out.join('\n');
}

/** Idle RSS over every start of an idle-only server (ids `id`, `id#2`, ...): median and range, MiB. */
function idleStarts(rows: ReturnType<typeof derive>, id: string) {
  const xs = rows
    .filter((x) => !x.skipped && (x.s.id === id || x.s.id.startsWith(`${id}#`)))
    .map((x) => x.idleRss)
    .filter((v): v is number => ok(v))
    .sort((a, b) => a - b);
  return {
    median: xs.length ? median(xs) : undefined,
    n: xs.length,
    range: xs.map((v) => v.toFixed(1)).join(', ') || '–',
  };
}

/** The hot-path issue's targets, met or not. */
export function renderTargets(r: BenchResults, soak?: SoakResult): string {
  const rows = derive(r);
  const get = (id: string) => rows.find((x) => x.s.id === id && !x.skipped);
  const z = get('sy-zero');
  const p = get('sy-production');
  const ts = idleStarts(rows, 'sy-production-ts');
  const zi = idleStarts(rows, 'sy-zero');
  const arenas = idleStarts(rows, 'sy-production-ts-arenas');
  const fl = get('floor');
  const cmp = (v: number | undefined, test: (x: number) => boolean) => (ok(v) ? test(v!) : undefined);
  const rounds = (xs: number[] | undefined) => (xs?.length ? `rounds ${xs.map((x) => times(x)).join(', ')}; ` : '');
  const lines = [
    '| Target | Goal | Measured | Status | For reference |',
    '|---|---|---:|---|---|',
    `| Zero-config throughput, c=${r.settings.concurrency} | ≥ 0.75× the floor's req/s | ` +
      `${times(z?.ofFloor)} | ${status(cmp(z?.ofFloor, (x) => x >= 0.75))} | ${rounds(z?.ofFloorRounds)}floor ` +
      `${f(fl?.rps, 0)} req/s, zero-config ${f(z?.rps, 0)} (medians) |`,
    `| Zero-config CPU per request | ≤ 1.3× the floor's | ${times(z?.cpuVsFloor)} | ` +
      `${status(cmp(z?.cpuVsFloor, (x) => x <= 1.3))} | ${rounds(z?.cpuVsFloorRounds)}floor ${f(fl?.cpu, 3)} ` +
      `ms, zero-config ${f(z?.cpu, 3)} ms (medians) |`,
    `| Zero-config added p50, c=1 | ≤ the floor's + 0.1 ms | ${plus(z?.addP50OverFloor, 3)} ms over the ` +
      `floor's | ${status(cmp(z?.addP50OverFloor, (x) => x <= 0.1))} | floor ${plus(fl?.addP50, 3)} ms, ` +
      `zero-config ${plus(z?.addP50, 3)} ms |`,
    `| Production throughput, c=${r.settings.concurrency} | ≥ 0.6× the floor's req/s | ${times(p?.ofFloor)} ` +
      `| ${status(cmp(p?.ofFloor, (x) => x >= 0.6))} | ${rounds(p?.ofFloorRounds)}production ${f(p?.rps, 0)} ` +
      `req/s (median) |`,
    `| Production added p50, c=1 | ≤ the floor's + 0.2 ms | ${plus(p?.addP50OverFloor, 3)} ms over the ` +
      `floor's | ${status(cmp(p?.addP50OverFloor, (x) => x <= 0.2))} | production ${plus(p?.addP50, 3)} ms |`,
    `| Streaming added TTFB (zero-config) | ≤ the floor's + 0.2 ms | ${plus(z?.addTtfbOverFloor, 3)} ms ` +
      `over the floor's | ${status(cmp(z?.addTtfbOverFloor, (x) => x <= 0.2))} | floor ${plus(fl?.addTtfb, 3)} ` +
      `ms, zero-config ${plus(z?.addTtfb, 3)} ms, production ${plus(p?.addTtfbOverFloor, 3)} ms over the ` +
      `floor's |`,
    `| Streaming CPU per chunk (zero-config) | ≤ 1.5× the floor's | ${times(z?.chunkVsFloor)} | ` +
      `${status(cmp(z?.chunkVsFloor, (x) => x <= 1.5))} | floor ${f(fl?.chunkUs, 1)} µs, zero-config ` +
      `${f(z?.chunkUs, 1)} µs, production ${times(p?.chunkVsFloor)} |`,
    `| Production vs Portkey, c=${r.settings.concurrency} | ≥ 8× Portkey's req/s | ${times(p?.xPortkey, 1)} ` +
      `| ${status(cmp(p?.xPortkey, (x) => x >= 8))} | the floor itself: ${times(fl?.xPortkey, 1)} |`,
    `| Idle RSS, zero-config | < 80 MB | ${f(zi.median === undefined ? undefined : zi.median * MB, 1)} MB ` +
      `(median of ${zi.n} starts) | ${status(cmp(zi.median, (x) => x * MB < 80))} | ${f(zi.median, 1)} MiB, ` +
      `starts ${zi.range} MiB |`,
    `| Idle RSS, production as a \`.ts\` config via the CLI | < 80 MB | ` +
      `${f(ts.median === undefined ? undefined : ts.median * MB, 1)} MB (median of ${ts.n} starts) | ` +
      `${status(cmp(ts.median, (x) => x * MB < 80))} | ${f(ts.median, 1)} MiB, starts ${ts.range} MiB; ` +
      `with MALLOC_ARENA_MAX=2 (as deploy/ runs it): ${f(arenas.median, 1)} MiB, starts ${arenas.range} MiB; ` +
      `the same config compiled: ${f(p?.idleRss, 1)} MiB |`,
  ];
  const gcTrends = soak && soakAfterGc(soak);
  if (soak && gcTrends) {
    const lows = soakLows(soak);
    lines.push(
      `| Memory flat over a ${Math.round(soak.seconds / 60)}-minute soak (\`${soak.scenario}\`) | no steady ` +
        `climb | live heap ${plus(gcTrends.heap, 2)} MiB/min: the trend of what a full collection left, once a ` +
        `minute from the first on (${gcTrends.heapMin.toFixed(1)}-${gcTrends.heapMax.toFixed(1)} MiB) | ` +
        `${status(ok(gcTrends.heap) ? gcTrends.heap < 0.5 : undefined)} | RSS, which follows V8's committed ` +
        `heap rather than what it holds: after each collection ${plus(gcTrends.rss, 2)} MiB/min; the lowest ` +
        `reading of each minute ${lows.mins.map((x) => x.toFixed(0)).join(', ')} MiB, ${plus(lows.slope, 2)} ` +
        `MiB/min (Theil-Sen ${plus(lows.robust, 2)}); see Memory soak |`,
    );
  } else if (soak) {
    const slope = soakSlope(soak);
    const lows = soakLows(soak);
    lines.push(
      `| RSS flat over a ${Math.round(soak.seconds / 60)}-minute soak (\`${soak.scenario}\`) | no steady ` +
        `climb | ${plus(lows.slope, 2)} MiB/min, the trend of each minute's lowest reading after the first | ` +
        `${status(ok(lows.slope) ? Math.abs(lows.slope) < 0.5 : undefined)} | lows ` +
        `${lows.mins.map((x) => x.toFixed(0)).join(', ')} MiB (their Theil-Sen trend, robust to one odd low, ` +
        `${plus(lows.robust, 2)} MiB/min); every reading's trend ${plus(slope, 2)} MiB/min ` +
        `(where the sawtooth stands at the end moves it); see Memory soak |`,
    );
  } else {
    lines.push(
      '| RSS flat over a 10-minute soak | no steady climb | not run with this build | n/a | `npm run bench ' +
        '-- --soak` |',
    );
  }
  return lines.join('\n');
}

/** Least-squares slope of RSS over time in MiB/min, leaving out the first minute (warm-up, heap sizing). */
export function soakSlope(k: SoakResult): number {
  const pts = k.samples.filter((x) => x.s >= Math.min(60, k.seconds / 5) && Number.isFinite(x.rssMiB));
  if (pts.length < 3) return NaN;
  const mx = pts.reduce((n, x) => n + x.s, 0) / pts.length;
  const my = pts.reduce((n, x) => n + x.rssMiB, 0) / pts.length;
  const num = pts.reduce((n, x) => n + (x.s - mx) * (x.rssMiB - my), 0);
  const den = pts.reduce((n, x) => n + (x.s - mx) ** 2, 0);
  return den ? (num / den) * 60 : NaN;
}

/**
 * The lowest RSS of each whole minute after the first (what is left after the collector's sawtooth comes
 * down) and their least-squares trend in MiB/min. A leak raises the lows; the sawtooth's peaks and where the
 * run stops in it do not move them, so they are the rule for "flat" (every reading's trend is shown too).
 */
export function soakLows(k: SoakResult): { mins: number[]; slope: number; robust: number } {
  const minutes = Math.floor(k.seconds / 60);
  const mins: number[] = [];
  for (let m = 1; m < minutes; m++) {
    const inside = k.samples.filter((x) => x.s >= m * 60 && x.s < (m + 1) * 60 && Number.isFinite(x.rssMiB));
    if (inside.length) mins.push(Math.min(...inside.map((x) => x.rssMiB)));
  }
  if (mins.length < 3) return { mins, slope: NaN, robust: NaN };
  const mx = (mins.length - 1) / 2;
  const my = mins.reduce((n, y) => n + y, 0) / mins.length;
  const num = mins.reduce((n, y, i) => n + (i - mx) * (y - my), 0);
  const den = mins.reduce((n, _, i) => n + (i - mx) ** 2, 0);
  return { mins, slope: num / den, robust: theilSen(mins) };
}

/**
 * The trends (MiB/min, least squares) of what each full collection during the load left: the live heap and
 * the RSS. The readings before the first minute and the one after the load are left out (warm-up; idle).
 */
export function soakAfterGc(
  k: SoakResult,
): { heap: number; rss: number; n: number; heapMin: number; heapMax: number } | undefined {
  const during = (k.afterGc ?? []).filter((x) => x.s >= Math.min(60, k.seconds / 5) && x.s <= k.seconds);
  if (during.length < 3) return undefined;
  const slope = (ys: number[]) => {
    const xs = during.map((x) => x.s / 60);
    const mx = xs.reduce((n, x) => n + x, 0) / xs.length;
    const my = ys.reduce((n, y) => n + y, 0) / ys.length;
    const num = xs.reduce((n, x, i) => n + (x - mx) * (ys[i] - my), 0);
    const den = xs.reduce((n, x) => n + (x - mx) ** 2, 0);
    return den ? num / den : NaN;
  };
  return {
    heap: slope(during.map((x) => x.heapUsedMiB)),
    rss: slope(during.map((x) => x.rssMiB)),
    n: during.length,
    heapMin: Math.min(...during.map((x) => x.heapUsedMiB)),
    heapMax: Math.max(...during.map((x) => x.heapUsedMiB)),
  };
}

/**
 * The median of the slopes between every two of the lows (Theil-Sen), in MiB per minute: one low
 * caught at a collection's odd moment moves the least-squares trend of nine points by about a MiB per
 * minute and this one barely. Shown beside the least-squares trend; the status stays on that trend.
 */
export function theilSen(ys: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  slopes.sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 ? slopes[m] : (slopes[m - 1] + slopes[m]) / 2;
}

export function renderSoak(k: SoakResult): string {
  const out: string[] = [];
  const first = k.samples[1] ?? k.samples[0];
  const last = k.samples[k.samples.length - 1];
  const peak = Math.max(...k.samples.map((x) => x.rssMiB));
  const slope = soakSlope(k);
  const lows = soakLows(k);
  out.push(
    `Scenario \`${k.scenario}\`, ${k.seconds} s at concurrency ${k.concurrency} (${k.requests} requests, ` +
      `${k.rps.toFixed(0)} req/s, ${k.errors} errors), ${k.date}. RSS ${first.rssMiB.toFixed(1)} MiB after the ` +
      `first interval, ${last.rssMiB.toFixed(1)} MiB at the end (2 s after the load stopped), peak ` +
      `${peak.toFixed(1)} MiB; trend after the first minute ` +
      `${ok(slope) ? `${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/min` : 'n/a'} (least squares). The ups ` +
      `and downs are the garbage collector's sawtooth; a leak would show as a steady climb of its lows. The ` +
      `lowest reading of each minute after the first: ${lows.mins.map((x) => x.toFixed(1)).join(', ')} MiB, a ` +
      `trend of ${ok(lows.slope) ? `${lows.slope >= 0 ? '+' : ''}${lows.slope.toFixed(2)} MiB/min` : 'n/a'} ` +
      `(least squares; Theil-Sen, the median of the slopes between every two lows: ` +
      `${ok(lows.robust) ? `${lows.robust >= 0 ? '+' : ''}${lows.robust.toFixed(2)} MiB/min` : 'n/a'}).`,
  );
  const gc = k.afterGc ?? [];
  const trends = soakAfterGc(k);
  if (gc.length && trends) {
    const sign = (x: number) => (ok(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)} MiB/min` : 'n/a');
    out.push('');
    out.push(
      `Once a minute the server ran a full collection (\`bench/soak-probe.mjs\`, on SIGUSR2) and read its memory: ` +
        `what a collection leaves is what the process holds, so a leak raises it minute after minute. Live heap ` +
        `${gc.map((x) => x.heapUsedMiB.toFixed(1)).join(', ')} MiB (before the load, each minute, after it): a ` +
        `trend of ${sign(trends.heap)} during the load; RSS after each collection ` +
        `${gc.map((x) => x.rssMiB.toFixed(1)).join(', ')} MiB, a trend of ${sign(trends.rss)} (least squares over ` +
        `the ${trends.n} collections from the first minute on).`,
    );
  }
  out.push('');
  const step = Math.max(1, Math.ceil(k.samples.length / 12));
  const shown = k.samples.filter((_, i) => i % step === 0 || i === k.samples.length - 1);
  out.push('| Time (s) | ' + shown.map((x) => x.s.toFixed(0)).join(' | ') + ' |');
  out.push('|---|' + shown.map(() => '---:').join('|') + '|');
  out.push('| RSS (MiB) | ' + shown.map((x) => x.rssMiB.toFixed(1)).join(' | ') + ' |');
  return out.join('\n');
}

/** Instructions per request (callgrind): the gate's committed figures and the fuller report. */
export function renderInstructions(rep?: InstructionsData, gate?: InstructionsData): string {
  const out: string[] = [];
  if (rep) {
    const floor = rep.scenarios.floor?.main;
    const s = rep.settings;
    out.push(
      `Measured ${rep.date.slice(0, 10)} with ${rep.valgrind}, Node ${rep.node} ` +
        `(\`${rep.nodeFlags.join(' ')}\`), \`npm run bench:gate -- --report\`: ${s.runs} server processes per ` +
        `configuration, each warmed up with ${s.warmup} requests, then ${s.windows} windows of ${s.requests} ` +
        `requests one at a time. "Main thread" is the gated figure; "all threads" adds V8's optimizing ` +
        'compiler (still busy after the warm-up, hence the wider spread) and helper threads.',
    );
    out.push('');
    out.push(
      '| Server | instructions per request, main thread (median) | vs floor | spread over windows | all ' +
        'threads (median) | windows (main thread) |',
    );
    out.push('|---|---:|---:|---:|---:|---|');
    const labels: Record<string, string> = {
      floor: 'floor: buffered pass-through',
      'json-floor': 'JSON floor: the floor + JSON work',
      'sy-zero': 'Switchyard: zero-config',
      'sy-production': 'Switchyard: production',
      'sy-all': 'Switchyard: all plugins',
    };
    for (const [id, v] of Object.entries(rep.scenarios)) {
      if (!v) continue;
      const sorted = [...v.samples].sort((a, b) => a - b);
      const spread = sorted.length > 1 ? (sorted[sorted.length - 1] - sorted[0]) / v.main : 0;
      out.push(
        `| ${labels[id] ?? id} | ${int(v.main)} | ${times(floor ? v.main / floor : undefined)} | ` +
          `${(spread * 100).toFixed(1)}% | ${int(v.all)} | ${v.samples.map(int).join(', ')} |`,
      );
    }
  }
  const withBreakdown = rep ? Object.entries(rep.scenarios).filter(([, v]) => v?.breakdown) : [];
  if (withBreakdown.length) {
    const cats = new Map<string, number>();
    for (const [, v] of withBreakdown)
      for (const [k, n] of Object.entries(v!.breakdown!)) cats.set(k, Math.max(cats.get(k) ?? 0, n));
    const order = [...cats].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    out.push('');
    out.push(
      "Where the main thread's instructions go, per request (self cost per function from " +
        '`callgrind_annotate`, grouped by `bench/callgrind-breakdown.ts`; JIT-compiled code has no symbols ' +
        'under valgrind, the CPU profile below names those functions):',
    );
    out.push('');
    out.push(`| Kind of code | ${withBreakdown.map(([id]) => id).join(' | ')} |`);
    out.push(`|---|${withBreakdown.map(() => '---:').join('|')}|`);
    for (const k of order)
      out.push(`| ${k} | ${withBreakdown.map(([, v]) => int(v!.breakdown![k] ?? 0)).join(' | ')} |`);
  }
  if (gate) {
    out.push('');
    out.push(
      `The gate's committed figures (\`bench/instructions.json\`, ${gate.date.slice(0, 10)}, ` +
        `${gate.settings.runs} run × ${gate.settings.windows} windows of ${gate.settings.requests} after ` +
        `${gate.settings.warmup} warm-up requests): ` +
        Object.entries(gate.scenarios)
          .filter(([, v]) => v)
          .map(([id, v]) => `${id} ${int(v!.main)}`)
          .join(', ') +
        `. \`npm run bench:gate\` fails when either rises more than ${(gate.tolerance * 100).toFixed(0)}% above them.`,
    );
  }
  return out.join('\n');
}

export function renderProfiles(ps: ProfileSummary[]): string {
  const out: string[] = [];
  const floor = ps.find((p) => p.scenario === 'floor');
  for (const p of ps) {
    out.push(`#### \`${p.scenario}\``);
    out.push('');
    out.push(
      `${p.requests} requests at ${p.rps.toFixed(0)} req/s (c=64), ${f(p.cpuMsPerReq, 3)} ms CPU per ` +
        `request (/proc); \`node --cpu-prof\` main thread, the measured ${(p.totalMs / 1000).toFixed(1)} s ` +
        `only; ${p.sampledMs.toFixed(0)} ms of non-idle samples. Self time per request is the profile's share ` +
        '× the sampled time / requests.',
    );
    out.push('');
    const floorArea = new Map(floor && floor !== p ? floor.byArea.map((a) => [a.area, a.usPerReq ?? NaN]) : []);
    out.push(`| Area | self µs per request | share |${floorArea.size ? ' floor µs per request |' : ''}`);
    out.push(`|---|---:|---:|${floorArea.size ? '---:|' : ''}`);
    for (const a of p.byArea.slice(0, 14)) {
      out.push(
        `| ${a.area} | ${f(a.usPerReq, 1)} | ${a.selfPct.toFixed(1)}% ` +
          `|${floorArea.size ? ` ${f(floorArea.get(a.area), 1)} |` : ''}`,
      );
    }
    out.push('');
    out.push('| # | Function | Where | self µs per request | share |');
    out.push('|---:|---|---|---:|---:|');
    p.topFunctions
      .slice(0, 20)
      .forEach((e, i) =>
        out.push(`| ${i + 1} | \`${e.name}\` | ${e.where} | ${f(e.usPerReq, 1)} | ${e.selfPct.toFixed(1)}% |`),
      );
    if (p.allocations) {
      out.push('');
      out.push(
        'Allocations (sampling heap profiler, collected objects kept): ' +
          `${int(p.allocations.bytesPerRequest)} bytes per request. Top allocating functions:`,
      );
      out.push('');
      out.push('| Function | Where | bytes per request | share |');
      out.push('|---|---|---:|---:|');
      for (const e of p.allocations.topFunctions.slice(0, 12))
        out.push(`| \`${e.name}\` | ${e.where} | ${int(e.bytesPerRequest)} | ${e.pct.toFixed(1)}% |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** A horizontal bar chart of requests/second at concurrency N, without dependencies. */
export function renderSvg(r: BenchResults): string {
  const rows = derive(r).filter((d) => !d.skipped && !d.idleOnly && ok(d.rps));
  const max = Math.max(1, ...rows.map((d) => d.rps as number));
  const rowH = 34;
  const left = 280;
  const width = 820;
  const barMax = width - left - 160;
  const top = 48;
  const height = top + rows.length * rowH + 40;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const colour = (id: string) =>
    id === 'direct'
      ? '#9aa5b1'
      : id === 'floor' || id === 'streaming-passthrough'
        ? '#7b8794'
        : id === 'portkey'
          ? '#e07a5f'
          : '#3d5a80';
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ` +
      `${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">Requests per ` +
      `second at concurrency ${r.settings.concurrency} (higher is better)</text>`,
  );
  rows.forEach((d, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, Math.round(((d.rps as number) / max) * barMax));
    const note = d.s.id === 'direct' || d.s.id === 'floor' ? '' : ` (${times(d.ofFloor)} the floor)`;
    parts.push(`<text x="${left - 10}" y="${y + 17}" text-anchor="end">${esc(d.s.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${w}" height="${rowH - 12}" fill="${colour(d.s.id)}" rx="2"/>`);
    parts.push(`<text x="${left + w + 6}" y="${y + 17}">${(d.rps as number).toFixed(0)}${esc(note)}</text>`);
  });
  parts.push(
    `<text x="${left}" y="${height - 12}" fill="#52606d" ` +
      `font-size="11">${esc(
        `${r.machine.nproc} CPUs (${r.machine.cpu}), Node ${r.machine.node}; ` +
          `wrk, upstream and server on the same machine; ${r.date}`,
      )}</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface DocInputs {
  profiles?: ProfileSummary[];
  notes?: string;
  soak?: SoakResult;
  instructions?: InstructionsData;
  gate?: InstructionsData;
}

export function renderDoc(r: BenchResults, d: DocInputs = {}): string {
  const s = r.settings;
  const rows = derive(r);
  const fl = rows.find((x) => x.s.id === 'floor' && !x.skipped);
  const old = rows.find((x) => x.s.id === 'streaming-passthrough' && !x.skipped);
  const jf = rows.find((x) => x.s.id === 'json-floor' && !x.skipped);
  const jfIns = d.instructions?.scenarios['json-floor']?.main;
  const flIns = d.instructions?.scenarios.floor?.main;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    'A gateway sits in the path of every model call, so its own cost has to stay close to that of the ' +
      'cheapest possible proxy. `npm run bench` measures Switchyard against that floor, side by side in one ' +
      'run: the emulated upstream called directly, the floor (a buffered undici pass-through), the old ' +
      "streaming pass-through, Switchyard in three configurations, and Portkey's open-source gateway. `npm run " +
      'bench:gate` counts instructions per request under callgrind and `npm run bench:promotion` the bytes ' +
      'the young generation promotes per request after a full collection; both guard against regressions in CI.',
  );
  out.push('');
  out.push(
    'This file is written by `npm run bench` (tables, chart, targets) from `bench/results.json`, ' +
      '`bench/instructions-report.json` (`npm run bench:gate -- --report`), `bench/profile.json` (`npm run ' +
      'bench -- --profile`), `bench/soak.json` (`npm run bench -- --soak`) and the hand-written notes in ' +
      '`bench/profile-notes.md`.',
  );
  out.push('');
  out.push('## The floor');
  out.push('');
  out.push(
    'Earlier versions of this page compared Switchyard with a *streaming* pass-through (now ' +
      `\`bench/streaming-passthrough.ts\`) and reported Switchyard at 98% of it. That floor was weak: it ` +
      'streamed the request body upstream chunked, flushed the response headers in a write of their own and ' +
      `piped the answer back, so it reached only a fraction of the upstream's own ` +
      'rate' +
      (old && fl
        ? ` (${times(old.ofDirect)} the upstream's req/s in this run, ` +
          `against ${times(fl.ofDirect)} for the new floor)`
        : '') +
      ', ' +
      'and being close to it said little. A gateway that parses JSON must hold the whole body anyway, so the ' +
      `floor is now \`bench/floor.ts\`: it reads the whole body, forwards it with a Content-Length over an ` +
      `undici \`Pool\`, and writes the answer back in one write (status line, headers and body together); a ` +
      'streamed answer is relayed chunk by chunk. Every ratio below is against this floor. The old one is ' +
      'still measured, for reference.',
  );
  out.push('');
  out.push(
    'Beside it, the **JSON floor** (`bench/floor.ts --json`, a reference, not a replacement) is the floor plus ' +
      'the least a gateway that reads JSON does: it parses the request body, refuses one without a string ' +
      '`model`, serialises the parsed body again for the upstream (a gateway that lets plugins change the ' +
      "request cannot relay the client's bytes; see the fourteenth round in the profile notes) and parses a " +
      'buffered answer for its `usage`. What it costs above the floor, any JSON-reading gateway pays; what ' +
      "Switchyard costs above it is the gateway's own features (keys, routing, failover, metering, the log line)." +
      (jf && fl
        ? ` In this run it used ${times(jf.cpuVsFloor)} the floor's CPU per request at c=${s.concurrency}` +
          (jfIns && flIns ? ` and ${times(jfIns / flIns)} its instructions (callgrind, main thread)` : '') +
          '.'
        : ''),
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    `- CPUs: ${r.machine.nproc} (\`nproc\`), ${r.machine.cpu}; memory ${r.machine.memGiB.toFixed(1)} GiB; ` +
      `${r.machine.os}`,
  );
  out.push(
    `- Node ${r.machine.node}; ` +
      (r.machine.runtime === 'compiled'
        ? 'Switchyard runs from its compiled build (`dist/`, what `npm run build` ships and `switchyard start` ' +
          "runs without a `.ts` config); the bench's own entry points are bundled by esbuild into `bench/.build/`"
        : 'every process runs under `node --import tsx` (BENCH_TSX=1)') +
      '.',
  );
  out.push(
    '- The load generator (wrk), the emulated upstream and the server under test share these CPUs; traffic ' +
      'is on 127.0.0.1 only. The machine is shared with other work: ' +
      (r.loadAverage
        ? `the 1-minute load average was ${r.loadAverage.start.toFixed(1)} when measuring started and ` +
          `${r.loadAverage.end.toFixed(1)} when it ended (the bench itself keeps about 3 processes busy at ` +
          `c=${s.concurrency})`
        : 'see the load average in results.json') +
      '. ' +
      'Absolute numbers are noisy; the ratios of one interleaved run hold up better, and instruction counts do ' +
      'not depend on load at all.',
  );
  out.push(
    `- Run: ${r.date}${r.quick ? ' (**--quick**: short smoke-run durations, numbers are rough)' : ''}; ` +
      `command \`${r.command}\`.`,
  );
  out.push('');
  out.push('## How it is measured');
  out.push('');
  out.push(
    `- **Load generator**: Debian's \`wrk\` (one thread; \`bench/wrk.lua\` builds a unique POST body per ` +
      'request, so the cache always misses). It costs a few percent of a CPU, against about half a CPU for a ' +
      `Node load generator. \`npm run bench\` installs it with apt-get when it is missing. Latencies are wrk's ` +
      `microsecond histogram; time to first byte of a stream comes from \`bench/load.ts\` (undici, c=1), which ` +
      'wrk cannot report.',
  );
  out.push(
    `- **Interleaved**: a pre-warm of ${s.prewarmS} s at c=${s.concurrency} per server, then ${s.rounds} ` +
      `round(s); in each round every phase runs against every server (${s.warmupS} s unmeasured each, then ` +
      `${s.durationS} s measured${sliced(s)}): chat at c=1, chat at c=${s.concurrency}, stream at c=1 (TTFB), ` +
      `stream at c=${s.concurrency} (CPU per chunk). Each round starts one server later than the round before, so ` +
      'no server always runs first or after the same neighbour. Absolute figures are medians over rounds. ' +
      'Every comparison with the floor (req/s, CPU per request and per chunk, added p50 and TTFB) is paired: ' +
      "each round's figure against the floor's in the same round, then the median of those. The machine's " +
      "other work moves both together within a round (the floor's own req/s moved by 1.7x between the rounds " +
      'of one run on 2026-12-06), which a ratio of two medians, taken from different rounds, does not cancel.',
  );
  out.push(
    `- **CPU per request**: the server process's utime+stime from \`/proc/<pid>/stat\` (all its threads) ` +
      'over the wrk run, divided by the requests completed. CPU per chunk: the same over the ' +
      `c=${s.concurrency} stream phase, divided by streams × ${s.eventsPerStream} SSE events.`,
  );
  out.push(
    `- **Memory**: \`VmRSS\` from \`/proc/<pid>/status\`, right after start-up, after ${s.idleS} s without ` +
      `traffic, at its peak under load, and ${s.idleS} s after the run. The \`.ts\` production config is ` +
      'started through the CLI only for its idle memory.',
  );
  out.push('- **Instructions per request**: see below; the figure the CI gate uses.');
  out.push('');
  out.push('```sh');
  out.push('npm run bench                      # full run (about 15 minutes), writes this page');
  out.push('npm run bench -- --quick           # smoke run, ~2 minutes');
  out.push('npm run bench -- --only=direct,floor,sy-zero,sy-production   # a subset');
  out.push('npm run bench -- --profile         # --cpu-prof + allocation profile: floor, zero-config, production');
  out.push('npm run bench -- --soak            # 10-minute soak (production config): RSS, live heap after GC');
  out.push('npm run bench:gate                 # instructions per request vs bench/instructions.json (CI)');
  out.push('npm run bench:gate -- --report     # the instruction table below, 3 runs per configuration');
  out.push('npm run bench:promotion            # bytes promoted per request after a full GC, vs fixed limits (CI)');
  out.push(
    'npm run bench:ablate -- --mode=both # zero-config and production, one part off at a time, beside the floor',
  );
  out.push('git worktree add ../before HEAD~1 && (cd ../before && npm ci && npm run build)   # then:');
  out.push('npm run bench:ablate -- --mode=load --variants=prod --against=../before   # A/B of two builds');
  out.push('npx tsx bench/callgrind-windows.ts sy-production 5 200   # one server: per window, GC and mutator (A/B)');
  out.push("npx tsx bench/print.ts             # the last results' ratios");
  out.push('npx tsx bench/config-memory.ts     # RSS of switchyard start by config language (.ts vs .mjs)');
  out.push('```');
  out.push('');
  out.push('## Servers');
  out.push('');
  out.push('| Server | Process |');
  out.push('|---|---|');
  for (const sc of r.scenarios)
    out.push(`| ${sc.label} | ${sc.process}${sc.skipped ? ` — **skipped**: ${sc.skipped}` : ''} |`);
  out.push('');
  out.push(
    'Every Switchyard configuration uses the `openai` provider with `OPENAI_API_KEY` and `OPENAI_BASE_URL` ' +
      'pointing at the emulated upstream; clients ask for `gpt-4o-mini`. The configurations are in ' +
      '`bench/scenarios.ts`.',
  );
  out.push('');
  out.push('## Results');
  out.push('');
  out.push(renderTables(r));
  out.push('');
  out.push('![Requests per second at concurrency ' + s.concurrency + '](images/bench-throughput.svg)');
  out.push('');
  out.push('## Instructions per request');
  out.push('');
  out.push(
    'Timings on a shared 2-core machine move by tens of percent from one run to the next; instruction ' +
      'counts do not. `bench/callgrind.ts` runs the server under `valgrind --tool=callgrind ' +
      '--instr-atstart=no` with the normal JIT, warms it up uninstrumented, then, per window: counters ' +
      'zeroed, instrumentation on, N requests one at a time (no batching between requests), instrumentation ' +
      "off, dump. A window pays for the garbage collections that fall into it; the old generation's come " +
      'every few windows, so the figure is the median of several windows. ' +
      "The count is the main thread's (Node's event loop: " +
      "JavaScript, the runtime and, with `--single-threaded-gc`, all GC work); V8's optimizing compiler runs " +
      'on a helper thread and keeps compiling for thousands of requests, which makes the all-threads figure ' +
      'noisier. Kernel time (system calls) is not counted: valgrind sees user space only.',
  );
  out.push('');
  out.push(
    d.instructions || d.gate
      ? renderInstructions(d.instructions, d.gate)
      : 'Not measured yet: `npm run bench:gate -- --report`.',
  );
  out.push('');
  out.push('## Targets (issue 16, "Hot path")');
  out.push('');
  out.push(renderTargets(r, d.soak));
  out.push('');
  out.push('## Memory soak');
  out.push('');
  out.push(
    d.soak
      ? renderSoak(d.soak)
      : 'Not run with this build: `npm run bench -- --soak` (10 minutes; `--soak=SECONDS`, ' +
          '`--soak-scenario=sy-zero`) writes `bench/soak.json` and this section.',
  );
  out.push('');
  out.push('## Profile');
  out.push('');
  if (d.profiles?.length) {
    out.push(renderProfiles(d.profiles));
  } else {
    out.push('Not run yet: `npm run bench -- --profile`.');
    out.push('');
  }
  if (d.notes?.trim()) {
    out.push(d.notes.trim());
    out.push('');
  }
  return out.join('\n');
}

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Write docs/benchmarks.md and the SVG from the saved results (and profiles, soak, instructions). */
export function writeDoc(r: BenchResults): void {
  const prof = readJson<ProfileSummary[] | ProfileSummary>(PROFILE_FILE);
  const profiles = Array.isArray(prof) ? prof : undefined; // an old single-scenario profile is not shown
  const notes = existsSync(PROFILE_NOTES_FILE) ? readFileSync(PROFILE_NOTES_FILE, 'utf8') : undefined;
  const soak = readJson<SoakResult>(SOAK_FILE);
  const inputs: DocInputs = {
    profiles,
    notes,
    soak: soak && /^sy-(zero|production|all)$/.test(soak.scenario) ? soak : undefined,
    instructions: readJson<InstructionsData>(INSTRUCTIONS_REPORT_FILE),
    gate: readJson<InstructionsData>(INSTRUCTIONS_FILE),
  };
  mkdirSync(path.dirname(SVG_FILE), { recursive: true });
  writeFileSync(SVG_FILE, renderSvg(r));
  // Sections written by the other benchmarks (bench/cache.ts, bench/failover.ts, ...) live below the
  // marker and are kept as they are.
  const existing = existsSync(DOC_FILE) ? readFileSync(DOC_FILE, 'utf8') : '';
  const at = existing.indexOf(OTHER_BENCHMARKS_MARKER);
  const tail = at === -1 ? `\n${OTHER_BENCHMARKS_MARKER}\n` : `\n${existing.slice(at)}`;
  writeFileSync(DOC_FILE, renderDoc(r, inputs).trimEnd() + '\n' + tail);
}

/**
 * Put `section` (starting with `## <title>`) in place of the doc's section of that title, from its
 * heading to the next `## ` heading; appended at the end when the doc has none. For the bench scripts
 * whose sections live below OTHER_BENCHMARKS_MARKER (bench/redis.ts, bench/ablate.ts).
 */
export function replaceDocSection(title: string, section: string, file = DOC_FILE): void {
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = doc.indexOf(`\n## ${title}\n`);
  let out: string;
  if (at === -1) out = `${doc.trimEnd()}\n\n${section.trimEnd()}\n`;
  else {
    const next = doc.indexOf('\n## ', at + 4);
    out = `${doc.slice(0, at)}\n${section.trimEnd()}\n${next === -1 ? '' : `\n${doc.slice(next + 1)}`}`;
  }
  writeFileSync(file, out.trimEnd() + '\n');
}

/** Everything after this line in docs/benchmarks.md is written by the other bench scripts. */
export const OTHER_BENCHMARKS_MARKER =
  '<!-- sections below: other bench scripts (cache, failover, redis); npm run bench keeps them -->';
