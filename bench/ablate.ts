/**
 * What each part of a configuration costs: `switchyard start` with no config (zero-config) and with the
 * bench's production settings, each beside the same start with one part switched off (a config file per
 * variant), in one run.
 *
 *   npm run bench:ablate -- [--variants=base,log-off,...,prod,prod-log-off,...]
 *                           [--mode=instructions|load|both] [--windows=4] [--rounds=5] [--duration=5]
 *                           [--concurrency=64] [--against=<checkout>]
 *
 * - instructions (default): instructions per request on the main thread under callgrind
 *   (bench/callgrind.ts), one server per variant, two at a time; the figure is the median of the
 *   windows after the first (the first still pays for the JIT's last compilations).
 * - load: wrk at c=64 (--concurrency) against every variant, `rounds` times with the order rotated each round;
 *   within a round the variants take turns in one-second slices of --duration (bench/slices.ts);
 *   req/s and CPU per request from /proc, and the median of each round's ratio to the variant's own base
 *   (`base` for the zero-config variants, `prod` for the production ones: the same pairing as
 *   bench/report.ts). Logs go to a file, as in `npm run bench`.
 * - --against=<checkout>: an A/B of two builds. Every variant runs twice, from this checkout and as
 *   `<variant>@against` from the other one's build (`npm run build` there first; a git worktree of the
 *   commit to compare with will do), in the same rounds; "vs base" of the twin is against the variant
 *   from this checkout. The result is printed, not written (it is about a change, not the defaults).
 * The floor (bench/floor.ts) runs beside them in both modes, so each variant is also shown against the
 * reference the issue-16 targets are set against. The result is written to bench/ablation.json and as
 * the "What each default costs" section of docs/benchmarks.md (bench/profile-notes.md, sixteenth and
 * seventeenth rounds).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closest } from '../core/suggest.js';
import { measureScenario, valgrindVersion } from './callgrind.js';
import {
  argValue,
  BENCH_CLIENT_KEY,
  BENCH_DIR,
  cpuMs,
  freePort,
  HOST,
  installCleanup,
  median,
  spawnNode,
  stopAll,
  waitForPort,
} from './common.js';
import { replaceDocSection } from './report.js';
import { productionConfig } from './scenarios.js';
import { type ServerSpec, startBenchUpstream } from './servers.js';
import { sliceOrder } from './slices.js';
import { ensureWrk, runWrk } from './wrk.js';

export interface Variant {
  /** The config file's default export, as source text; none: zero-config (no config file). */
  config?: string;
  what: string;
  /** The variant this one is compared with: `base` (zero-config) unless set. */
  of?: string;
  /** Clients send the bench's virtual key (the production variants). */
  virtualKey?: boolean;
  /** What the config changes from its base, for the table (the production configs are long). */
  change?: string;
}

/**
 * The production scenario's settings (bench/scenarios.ts `productionConfig`: a virtual key with a budget
 * and an RPM limit, the SQLite ledger, /metrics, the exact cache) as a config file's source text, with
 * one part changed. The provider comes from the environment, as in zero-config; the ledger is a file in
 * the variant's own directory (its working directory) unless `ledger` says otherwise.
 */
export function productionSource(
  change: { log?: false; cache?: false; metrics?: false; limits?: false; ledger?: string; pretenuring?: true } = {},
): string {
  const { providers: _, ...config } = productionConfig({ BENCH_LEDGER_PATH: change.ledger ?? './usage.db' });
  const governance = { ...config.governance! };
  if (change.limits === false) governance.keys = governance.keys!.map(({ budgets, limits, ...key }) => key);
  if (change.metrics === false) governance.metrics = false;
  const out: Record<string, unknown> = { ...config, governance };
  if (change.cache === false) delete out.cache;
  if (change.log === false) out.meter = { log: false };
  if (change.pretenuring) out.server = { allocationSitePretenuring: true };
  return JSON.stringify(out);
}

const prod = (what: string, change: Parameters<typeof productionSource>[0], shown: string): Variant => ({
  config: productionSource(change),
  what,
  of: 'prod',
  virtualKey: true,
  change: shown,
});

export const VARIANTS: Record<string, Variant> = {
  base: { what: 'zero-config: `switchyard start` without a config file' },
  'log-off': { config: '{ meter: { log: false } }', what: 'without the per-request usage line' },
  'meter-off': { config: '{ meter: false }', what: 'without the usage meter (no line, no totals)' },
  'failover-off': { config: '{ failover: false }', what: 'without the failover plugin (retries, breakers)' },
  'catalog-off': { config: '{ catalog: false }', what: 'without the model catalog (no costs in records)' },
  'pretenuring-on': {
    config: '{ server: { allocationSitePretenuring: true } }',
    what: "with V8's allocation-site pretenuring left on (core/pretenuring.ts)",
  },
  prod: prod(
    'production: virtual key with budget and RPM limit, SQLite ledger, /metrics, exact cache',
    {},
    'the production settings (bench/scenarios.ts)',
  ),
  'prod-log-off': prod('production without the per-request usage line', { log: false }, '+ `meter: { log: false }`'),
  'prod-cache-off': prod('production without the exact cache', { cache: false }, 'without `cache`'),
  'prod-metrics-off': prod('production without /metrics', { metrics: false }, '`metrics: false`'),
  'prod-limits-off': prod(
    'production, the key without its budget and RPM limit',
    { limits: false },
    'the key without `budgets` and `limits`',
  ),
  'prod-pretenuring-on': prod(
    "production with V8's allocation-site pretenuring left on",
    { pretenuring: true },
    '`server: { allocationSitePretenuring: true }`',
  ),
  'prod-ledger-memory': prod(
    'production with the SQLite ledger in memory (no file)',
    { ledger: ':memory:' },
    "`ledger: { path: ':memory:' }`",
  ),
};

export const ABLATION_FILE = path.join(BENCH_DIR, 'ablation.json');

/**
 * The variants a `--variants` list names, `base` first (added when missing) and each one's own base
 * before it (`prod` for the production variants); unknown names throw.
 */
export function parseVariants(arg: string | undefined): string[] {
  const names = (arg ?? Object.keys(VARIANTS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (VARIANTS[n]) continue;
    const near = closest(n, Object.keys(VARIANTS));
    throw new Error(
      `unknown variant "${n}"${near ? ` (did you mean ${near}?)` : ''}; known: ${Object.keys(VARIANTS).join(', ')}`,
    );
  }
  const out = new Set(['base']);
  for (const n of names) {
    const of = VARIANTS[n]!.of;
    if (of) out.add(of);
    out.add(n);
  }
  return [...out];
}

/** A server spec for a variant: zero-config's, plus `--config <dir>/switchyard.config.mjs` when it has one. */
export function variantSpec(base: ServerSpec, name: string, workDir: string): ServerSpec {
  const v = VARIANTS[name];
  if (!v) throw new Error(`unknown variant "${name}"`);
  if (v.config === undefined) return { ...base, id: name as ServerSpec['id'] };
  const dir = mkdtempSync(path.join(workDir, `${name}-`));
  const file = path.join(dir, 'switchyard.config.mjs');
  writeFileSync(file, `export default ${v.config};\n`);
  return {
    ...base,
    id: name as ServerSpec['id'],
    cwd: dir,
    args: (p) => [...base.args(p), '--config', file],
    ...(v.virtualKey ? { authorization: `Bearer ${BENCH_CLIENT_KEY}` } : {}),
  };
}

interface LoadRound {
  rps: number;
  cpuMsPerReq: number;
  errors: number;
}

export interface AblationResult {
  date: string;
  node: string;
  mode: string;
  settings: { windows: number; rounds: number; durationS: number; concurrency?: number };
  variants: Record<
    string,
    {
      what: string;
      config: string | null;
      /** What the config changes from its base (the production variants). */
      change?: string;
      /** The variant the `vsBase` ratios compare with (absent for the floor and for `base` itself). */
      of?: string;
      instructions?: { windows: number[]; median: number; vsBase: number; vsFloor: number };
      load?: {
        rounds: LoadRound[];
        rps: number;
        cpuMsPerReq: number;
        rpsVsBase: number;
        cpuVsBase: number;
        rpsVsFloor: number;
        cpuVsFloor: number;
      };
    }
  >;
}

const log = (s: string) => process.stderr.write(`bench:ablate: ${s}\n`);

/** The variant `name`'s ratios compare with: its `of`, else `base` (the floor and `base` with themselves). */
export function baseOf(name: string): string {
  if (name.endsWith(AGAINST)) return name.slice(0, -AGAINST.length);
  return VARIANTS[name]?.of ?? 'base';
}

/** The suffix of a variant run from the `--against` checkout's build. */
export const AGAINST = '@against';

/**
 * A variant's twin from another checkout's build: its bin/switchyard.js (which runs that checkout's
 * dist/, never its sources through tsx), the same config and client.
 */
export function againstSpec(spec: ServerSpec, checkout: string): ServerSpec {
  const cli = path.join(checkout, 'bin', 'switchyard.js');
  if (!existsSync(path.join(checkout, 'dist', 'core', 'cli.js')) || !existsSync(cli)) {
    throw new Error(`--against=${checkout}: no build there (run \`npm run build\` in it first)`);
  }
  return {
    ...spec,
    id: `${spec.id}${AGAINST}` as ServerSpec['id'],
    script: cli,
    env: { ...spec.env, SWITCHYARD_TSX: '0' },
  };
}

const ofEntry = (n: string) => (n === 'base' ? {} : { of: baseOf(n) });

export const ABLATION_TITLE = 'What each default costs';

const ratio = (x: number | undefined, digits = 2) => (x === undefined ? '–' : `${x.toFixed(digits)}x`);
const count = (x: number | undefined) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));

/** The docs/benchmarks.md section of a result: one row per server, the floor first. */
export function renderAblation(r: AblationResult): string {
  const s = r.settings;
  const out = [
    `## ${ABLATION_TITLE}`,
    '',
    `Written by \`npm run bench:ablate\` (bench/ablate.ts), ${r.date.slice(0, 10)}, Node ${r.node}: ` +
      'zero-config (`switchyard start` without a config file) and the production settings (`prod`), each ' +
      'beside the same start with one part switched off through a config file, and the floor. "vs base" ' +
      'compares a zero-config variant with `base` and a production variant with `prod`. Instructions: ' +
      'callgrind, main thread, the median ' +
      `of windows 2-${s.windows} of 200 requests after 3,000. ` +
      `Load: wrk at c=${s.concurrency ?? 64}, ${s.rounds} rounds of ` +
      `${s.durationS} s in one-second slices, the servers taking turns in an order that rotates; each ratio ` +
      "is the median of the rounds' own ratios. " +
      'bench/profile-notes.md (sixteenth and seventeenth rounds) has the earlier runs and what they mean ' +
      'for the targets.',
    '',
    '| Server | Config | Instructions/request | vs base | vs floor | req/s | vs base | vs floor ' +
      '| CPU/request | vs base | vs floor |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, v] of Object.entries(r.variants)) {
    const i = v.instructions;
    const l = v.load;
    const cells = [
      name === 'floor' ? 'floor' : `\`${name}\`: ${v.what}`,
      v.change ?? (v.config ? `\`${v.config}\`` : '–'),
      count(i?.median),
      ratio(i?.vsBase, 3),
      ratio(i?.vsFloor),
      count(l?.rps),
      ratio(l?.rpsVsBase),
      ratio(l?.rpsVsFloor),
      l ? `${l.cpuMsPerReq.toFixed(4)} ms` : '–',
      ratio(l?.cpuVsBase),
      ratio(l?.cpuVsFloor),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return `${out.join('\n')}\n`;
}

async function measureInstructions(
  names: string[],
  specs: Record<string, ServerSpec>,
  work: string,
  windows: number,
): Promise<Record<string, number[]>> {
  if (!valgrindVersion()) throw new Error('valgrind is not installed: apt-get install -y valgrind');
  const out: Record<string, number[]> = {};
  const queue = [...names];
  const worker = async () => {
    for (let n = queue.shift(); n; n = queue.shift()) {
      const r = await measureScenario(specs[n]!, {
        warmup: 3000,
        requests: 200,
        windows,
        runs: 1,
        outDir: path.join(work, 'callgrind'),
        log,
      });
      out[n] = r.main;
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

async function measureLoad(
  names: string[],
  specs: Record<string, ServerSpec>,
  work: string,
  rounds: number,
  durationS: number,
  concurrency: number,
): Promise<Record<string, LoadRound[]>> {
  ensureWrk(log);
  const servers: Array<{ name: string; pid: number; url: string; headers: Record<string, string> }> = [];
  for (const n of names) {
    const s = specs[n]!;
    const port = await freePort();
    const child = spawnNode(s.script, s.args(port), {
      env: s.env,
      replaceEnv: true,
      cwd: s.cwd,
      logFile: path.join(work, `${n}.log`),
    });
    await waitForPort(port, 60_000, child);
    const headers: Record<string, string> = s.authorization ? { authorization: s.authorization } : {};
    servers.push({ name: n, pid: child.pid!, url: `http://${HOST}:${port}`, headers });
  }
  const wrk = (s: (typeof servers)[number], seconds: number, hooks?: Parameters<typeof runWrk>[1]) =>
    runWrk(
      { url: s.url, model: specs.base!.model, stream: false, concurrency, durationS: seconds, headers: s.headers },
      hooks,
    ).then((w) => {
      // Refused requests (a key the config does not know, a limit) cost less than served ones: not a measure.
      if (w.errors > w.requests / 100) throw new Error(`${s.name}: ${w.errors} of ${w.requests} requests failed`);
      return w;
    });
  for (const s of servers) await wrk(s, 3); // pre-warm: the JIT, the pools, the log file
  const out: Record<string, LoadRound[]> = {};
  for (let r = 0; r < rounds; r++) {
    const order = servers.map((_, i) => servers[(i + r) % servers.length]!);
    for (const s of order) await wrk(s, 1);
    // One-second slices, the servers in turns (bench/slices.ts): each is measured over the same stretch.
    const sum = new Map(order.map((s) => [s, { requests: 0, seconds: 0, cpu: 0, errors: 0 }]));
    for (const s of sliceOrder(order, durationS)) {
      let cpu0 = NaN;
      let cpu1 = NaN;
      const w = await wrk(s, 1, { onStart: () => (cpu0 = cpuMs(s.pid)), onEnd: () => (cpu1 = cpuMs(s.pid)) });
      const t = sum.get(s)!;
      t.requests += w.requests;
      t.seconds += w.seconds;
      t.cpu += cpu1 - cpu0;
      t.errors += w.errors;
    }
    for (const s of order) {
      const t = sum.get(s)!;
      const round = { rps: t.requests / t.seconds, cpuMsPerReq: t.cpu / t.requests, errors: t.errors };
      (out[s.name] ??= []).push(round);
      log(
        `round ${r + 1}/${rounds} ${s.name.padEnd(18)} ${Math.round(round.rps)} req/s, ` +
          `${round.cpuMsPerReq.toFixed(4)} ms CPU per request, ${t.errors} errors`,
      );
    }
  }
  return out;
}

/** A checkout as `<path> (<commit> <subject>)`, for the table. */
function describeCheckout(dir: string): string {
  try {
    const head = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
    return `${dir} (${head.length > 60 ? `${head.slice(0, 57)}...` : head})`;
  } catch {
    return dir;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const names = parseVariants(argValue(argv, 'variants'));
  const mode = argValue(argv, 'mode') ?? 'instructions';
  if (!['instructions', 'load', 'both'].includes(mode)) throw new Error(`--mode is instructions, load or both`);
  const windows = Math.max(2, Number(argValue(argv, 'windows') ?? 4));
  const rounds = Math.max(1, Number(argValue(argv, 'rounds') ?? 5));
  const durationS = Math.max(1, Number(argValue(argv, 'duration') ?? 5));
  const concurrency = Math.max(1, Number(argValue(argv, 'concurrency') ?? 64));
  const againstArg = argValue(argv, 'against');
  const against = againstArg === undefined ? undefined : path.resolve(againstArg);
  installCleanup();
  const work = mkdtempSync(path.join(os.tmpdir(), 'switchyard-ablate-'));
  try {
    const all = (await startBenchUpstream(work, ['floor.ts'], log)).specs;
    // The floor (bench/floor.ts) runs beside the variants as the reference the targets are set against.
    const specs: Record<string, ServerSpec> = { floor: all.floor };
    for (const n of names) specs[n] = variantSpec(all['sy-zero'], n, work);
    // With --against, each variant's twin runs right after it in every round.
    const measured = ['floor'];
    for (const n of names) {
      measured.push(n);
      if (!against) continue;
      specs[n + AGAINST] = againstSpec(specs[n]!, against);
      measured.push(n + AGAINST);
    }
    const result: AblationResult = {
      date: new Date().toISOString(),
      node: process.version,
      mode,
      settings: { windows, rounds, durationS, concurrency },
      variants: {},
    };
    const built = against && describeCheckout(against);
    for (const n of measured) {
      const v = VARIANTS[baseOf(n)]!;
      result.variants[n] =
        n === 'floor'
          ? { what: all.floor.process, config: null }
          : n.endsWith(AGAINST)
            ? { ...result.variants[baseOf(n)]!, what: `${v.what}, built from ${built}`, of: baseOf(n) }
            : {
                what: VARIANTS[n]!.what,
                config: VARIANTS[n]!.config ?? null,
                ...(VARIANTS[n]!.change ? { change: VARIANTS[n]!.change } : {}),
                ...ofEntry(n),
              };
    }
    if (mode !== 'load') {
      const counts = await measureInstructions(measured, specs, work, windows);
      const med = (n: string) => median(counts[n]!.slice(1));
      for (const n of measured) {
        const m = med(n);
        result.variants[n]!.instructions = {
          windows: counts[n]!.map(Math.round),
          median: Math.round(m),
          vsBase: m / med(baseOf(n)),
          vsFloor: m / med('floor'),
        };
      }
    }
    if (mode !== 'instructions') {
      const load = await measureLoad(measured, specs, work, rounds, durationS, concurrency);
      const f = load.floor!;
      for (const n of measured) {
        const rs = load[n]!;
        const b = load[baseOf(n)]!;
        result.variants[n]!.load = {
          rounds: rs,
          rps: median(rs.map((x) => x.rps)),
          cpuMsPerReq: median(rs.map((x) => x.cpuMsPerReq)),
          rpsVsBase: median(rs.map((x, i) => x.rps / b[i]!.rps)),
          cpuVsBase: median(rs.map((x, i) => x.cpuMsPerReq / b[i]!.cpuMsPerReq)),
          rpsVsFloor: median(rs.map((x, i) => x.rps / f[i]!.rps)),
          cpuVsFloor: median(rs.map((x, i) => x.cpuMsPerReq / f[i]!.cpuMsPerReq)),
        };
      }
    }
    process.stdout.write(renderAblation(result));
    if (against) {
      log(`A/B against ${built}: printed only; bench/ablation.json and docs/benchmarks.md left as they were`);
      return;
    }
    writeFileSync(ABLATION_FILE, JSON.stringify(result, null, 2) + '\n');
    replaceDocSection(ABLATION_TITLE, renderAblation(result));
    log(`wrote ${path.relative(process.cwd(), ABLATION_FILE)} and the section in docs/benchmarks.md`);
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(BENCH_DIR, 'ablate.ts')) {
  main().then(
    () => process.exit(0),
    (e) => {
      log(String((e as Error).message ?? e));
      process.exit(1);
    },
  );
}
