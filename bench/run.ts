/**
 * `npm run bench`: start the emulated upstream, the undici pass-through, Switchyard in three
 * configurations and Portkey, each as its own process on 127.0.0.1; drive each with the load
 * generator (its own process) phase by phase, scenarios side by side; write bench/results.json,
 * docs/benchmarks.md and docs/images/bench-throughput.svg, and print the tables.
 *
 *   npm run bench [-- --quick] [-- --only=direct,sy-defaults] [-- --profile[=defaults|all|provider]]
 *                 [-- --soak[=seconds] [--soak-scenario=defaults]]
 *   env: BENCH_DURATION (s per measured phase and round, default 4), BENCH_ROUNDS (3; medians are
 *        reported), BENCH_PREWARM (2), BENCH_WARMUP (0.75), BENCH_STREAM_DURATION, BENCH_CONCURRENCY (64),
 *        BENCH_CHUNKS (20), BENCH_CHUNK_DELAY_MS (2), BENCH_NO_PORTKEY=1, BENCH_SOAK_CONCURRENCY (16),
 *        BENCH_IDLE (60 s without traffic before idle RSS is read), BENCH_TSX=1 (run under tsx, not compiled)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  argValue, BENCH_CLIENT_KEY, BENCH_DIR, cpuMs, freePort, HOST, installCleanup, prepareEntries, rssMiB, sleep, spawnNode, stopAll, stopChild,
  USE_TSX, waitForPort,
} from './common.js';
import type { LoadResult, LoadSpec, Stats } from './load.js';
import { ensurePortkey, portkeyHeaders } from './portkey.js';
import { summariseProfile } from './profile.js';
import {
  PROFILE_FILE, readJson, renderSoak, RESULTS_FILE, renderTables, renderTargets, SOAK_FILE, writeDoc,
  type BenchResults, type SoakResult, type PhaseResult, type ScenarioResult,
} from './report.js';

const argv = process.argv.slice(2);
const quick = argValue(argv, 'quick') !== undefined;
const envNum = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const durationS = Number(argValue(argv, 'duration') ?? envNum('BENCH_DURATION', quick ? 0.8 : 4));
const warmupS = envNum('BENCH_WARMUP', quick ? 0.25 : 0.75);
const streamDurationS = envNum('BENCH_STREAM_DURATION', quick ? 0.5 : Math.max(1, durationS * 0.5));
const prewarmS = envNum('BENCH_PREWARM', quick ? 0 : 2);
/** Seconds without traffic before "idle" RSS is read (V8's memory reducer runs 20-60 s into idleness). */
const idleS = envNum('BENCH_IDLE', quick ? 0 : 60);
const rounds = Math.max(1, Math.round(Number(argValue(argv, 'rounds') ?? envNum('BENCH_ROUNDS', quick ? 1 : 3))));
const concurrency = envNum('BENCH_CONCURRENCY', 64);
const streamChunks = envNum('BENCH_CHUNKS', 20);
const chunkDelayMs = envNum('BENCH_CHUNK_DELAY_MS', 2);
const only = argValue(argv, 'only')?.split(',').map((s) => s.trim()).filter(Boolean);
const profileArg = argValue(argv, 'profile');
const soakArg = argValue(argv, 'soak');
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

interface Target {
  id: string;
  label: string;
  process: string;
  start?: () => Promise<ChildProcess>;
  child?: ChildProcess;
  pid?: number;
  port?: number;
  model: string;
  headers: Record<string, string>;
  skipped?: string;
  optional?: boolean;
}

async function startTarget(t: Target, port: number): Promise<void> {
  t.port = port;
  const child = await t.start!();
  t.child = child;
  t.pid = child.pid;
  await waitForPort(port, 30_000, child);
}

/** Run one load-generator process; sample the server's RSS and CPU while it measures. */
async function runLoad(t: Target, spec: Omit<LoadSpec, 'url' | 'path' | 'headers' | 'model'>): Promise<PhaseResult> {
  const full: LoadSpec = { ...spec, url: `http://${HOST}:${t.port}`, path: '/v1/chat/completions', headers: t.headers, model: t.model };
  const child = spawnNode(path.join(BENCH_DIR, 'load.ts'), [JSON.stringify(full)], { stdout: 'pipe' });
  const pid = t.pid!;
  let cpu0 = NaN;
  let cpu1 = NaN;
  let rssMax = NaN;
  let sampler: NodeJS.Timeout | undefined;
  let resultLine = '';
  let measureStartAt: number | undefined;
  let measureEndAt: number | undefined;
  const killer = setTimeout(() => child.kill('SIGKILL'), spec.warmupMs + spec.durationMs + 30_000);
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line === 'MEASURE_START') {
      measureStartAt = performance.now();
      cpu0 = cpuMs(pid);
      rssMax = rssMiB(pid);
      sampler = setInterval(() => { rssMax = Math.max(rssMax, rssMiB(pid)); }, 200);
    } else if (line === 'MEASURE_END') {
      measureEndAt = performance.now();
      cpu1 = cpuMs(pid);
      rssMax = Math.max(rssMax, rssMiB(pid));
      clearInterval(sampler);
    } else if (line.startsWith('{')) {
      resultLine = line;
    }
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(killer);
  clearInterval(sampler);
  if (code !== 0 || !resultLine) throw new Error(`load generator for ${t.id} failed (exit ${code})`);
  const load = JSON.parse(resultLine) as LoadResult;
  return { load, cpuMsPerReq: load.requests ? (cpu1 - cpu0) / load.requests : NaN, rssMaxMiB: rssMax, measureStartAt, measureEndAt };
}

/** RSS of a bare node:http server with and without the tsx loader (every bench process uses tsx). */
async function tsxBaseline(): Promise<{ plainMiB: number; tsxMiB: number }> {
  const code = "require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1')";
  const measure = async (tsx: boolean) => {
    const c = spawnNode('-e', [code], { tsx });
    await sleep(quick ? 800 : 1500);
    const rss = rssMiB(c.pid!);
    await stopChild(c);
    return rss;
  };
  return { plainMiB: await measure(false), tsxMiB: await measure(true) };
}

const median = (xs: number[]) => {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/** Several rounds of one phase -> one result: the median of every figure (RSS: the highest). */
function mergeRounds(rs: PhaseResult[]): PhaseResult {
  if (rs.length === 1) return { ...rs[0], measureStartAt: undefined, measureEndAt: undefined };
  const stat = (pick: (r: PhaseResult) => Stats | undefined): Stats | undefined => {
    const all = rs.map(pick).filter((x): x is Stats => x !== undefined);
    if (!all.length) return undefined;
    return { p50: median(all.map((x) => x.p50)), p90: median(all.map((x) => x.p90)), p99: median(all.map((x) => x.p99)), mean: median(all.map((x) => x.mean)), max: Math.max(...all.map((x) => x.max)) };
  };
  const load: LoadResult = {
    requests: rs.reduce((n, r) => n + r.load.requests, 0),
    errors: rs.reduce((n, r) => n + r.load.errors, 0),
    firstError: rs.find((r) => r.load.firstError)?.load.firstError,
    seconds: rs.reduce((n, r) => n + r.load.seconds, 0),
    rps: median(rs.map((r) => r.load.rps)),
    latency: stat((r) => r.load.latency)!,
    ...(rs[0].load.ttfb ? { ttfb: stat((r) => r.load.ttfb) } : {}),
  };
  return { load, cpuMsPerReq: median(rs.map((r) => r.cpuMsPerReq)), rssMaxMiB: Math.max(...rs.map((r) => r.rssMaxMiB)), rounds: rs.length };
}

function machine(): BenchResults['machine'] {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  return { nproc: os.availableParallelism(), cpu, node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}`, memGiB: os.totalmem() / 2 ** 30 };
}

function short(r: PhaseResult, stream: boolean): string {
  const l = r.load;
  return `${l.requests} req, ${l.rps.toFixed(0)} req/s, p50 ${l.latency.p50.toFixed(3)} ms, p99 ${l.latency.p99.toFixed(3)} ms` +
    (stream && l.ttfb ? `, ttfb p50 ${l.ttfb.p50.toFixed(3)} ms` : '') + (l.errors ? `, ${l.errors} errors (${l.firstError})` : '');
}

async function main(): Promise<void> {
  installCleanup();
  await prepareEntries(['upstream.ts', 'passthrough.ts', 'gateway.ts', 'portkey.ts', 'load.ts'].map((f) => path.join(BENCH_DIR, f)), log);
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  log(`server logs in ${logDir}`);
  const upstreamPort = await freePort();
  const upstreamOrigin = `http://${HOST}:${upstreamPort}`;
  const upstreamBase = `${upstreamOrigin}/v1`;
  const upstream = spawnNode(path.join(BENCH_DIR, 'upstream.ts'), [`--port=${upstreamPort}`, `--chunks=${streamChunks}`, `--chunk-delay=${chunkDelayMs}`], { logFile: path.join(logDir, 'upstream.log') });
  await waitForPort(upstreamPort, 30_000, upstream);

  if (soakArg !== undefined) {
    await soak(soakArg === 'true' ? 600 : Number(soakArg), argValue(argv, 'soak-scenario') ?? 'defaults', upstreamBase, logDir);
    return;
  }
  if (profileArg !== undefined) {
    await profile(profileArg === 'true' ? 'defaults' : profileArg, upstreamBase, logDir);
    return;
  }

  const gw = (scenario: 'provider' | 'defaults' | 'all', t: Target) => () => Promise.resolve(spawnNode(
    path.join(BENCH_DIR, 'gateway.ts'), [`--scenario=${scenario}`, `--port=${t.port}`, `--upstream=${upstreamBase}`],
    { logFile: path.join(logDir, `switchyard-${scenario}.log`) }));

  const targets: Target[] = [
    { id: 'direct', label: 'direct (floor)', process: 'the emulated upstream itself (bench/upstream.ts)', model: 'bench-model', headers: {} },
    { id: 'passthrough', label: 'undici pass-through', process: 'bench/passthrough.ts: node:http + undici, no parsing', model: 'bench-model', headers: {} },
    { id: 'sy-provider', label: 'Switchyard: provider only', process: 'bench/gateway.ts --scenario=provider: provider (+ router), no failover/meter/auth/cache, log level warn', model: 'bench/bench-model', headers: {} },
    { id: 'sy-defaults', label: 'Switchyard: defaults', process: 'bench/gateway.ts --scenario=defaults: router, retry/failover, usage meter, info logs to a file', model: 'bench/bench-model', headers: {} },
    { id: 'sy-all', label: 'Switchyard: all plugins', process: 'bench/gateway.ts --scenario=all: static-key auth, exact cache (miss path), meter + logs, failover, info logs to a file', model: 'bench/bench-model', headers: { authorization: `Bearer ${BENCH_CLIENT_KEY}` } },
    { id: 'portkey', label: 'Portkey', process: '@portkey-ai/gateway (pinned), build/start-server.js --headless via bench/portkey.ts', model: 'bench-model', headers: portkeyHeaders(upstreamBase), optional: true },
  ];
  const active = targets.filter((t) => !only || only.includes(t.id));
  for (const t of targets) if (!active.includes(t)) t.skipped = 'not selected (--only)';

  const portkeyTarget = targets.find((t) => t.id === 'portkey')!;
  let portkeyInfo: BenchResults['portkey'] = {};
  if (active.includes(portkeyTarget)) {
    const status = await ensurePortkey(log);
    if (!status.ok) {
      portkeyTarget.skipped = status.reason;
      portkeyInfo = { skipped: status.reason };
      log(`Portkey skipped: ${status.reason}`);
    } else {
      portkeyInfo = { version: status.version, honoNodeServer: status.honoNodeServer };
      portkeyTarget.process = `@portkey-ai/gateway ${status.version} with @hono/node-server ${status.honoNodeServer}, build/start-server.js --headless, bound to 127.0.0.1 by bench/portkey.ts`;
    }
  }

  for (const t of targets) {
    if (t.skipped) continue;
    if (t.id === 'direct') {
      t.port = upstreamPort;
      t.pid = upstream.pid;
      t.child = upstream;
      continue;
    }
    const port = await freePort();
    t.port = port;
    if (t.id === 'passthrough') t.start = () => Promise.resolve(spawnNode(path.join(BENCH_DIR, 'passthrough.ts'), [`--port=${port}`, `--upstream=${upstreamOrigin}`], { logFile: path.join(logDir, 'passthrough.log') }));
    else if (t.id === 'sy-provider') t.start = gw('provider', t);
    else if (t.id === 'sy-defaults') t.start = gw('defaults', t);
    else if (t.id === 'sy-all') t.start = gw('all', t);
    else if (t.id === 'portkey') t.start = () => Promise.resolve(spawnNode(path.join(BENCH_DIR, 'portkey.ts'), [`--port=${port}`], { logFile: path.join(logDir, 'portkey.log') }));
  }
  await Promise.all(targets.filter((t) => t.start && !t.skipped).map(async (t) => {
    try {
      await startTarget(t, t.port!);
    } catch (e) {
      if (!t.optional) throw new Error(`${t.label} did not start: ${(e as Error).message} (see ${logDir})`);
      t.skipped = `did not start: ${(e as Error).message}`;
      if (t.child) await stopChild(t.child);
    }
  }));

  // One plain and one streamed request through each, so a broken scenario is caught before timing.
  for (const t of targets.filter((x) => !x.skipped)) {
    for (const stream of [false, true]) {
      const res = await fetch(`http://${HOST}:${t.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...t.headers },
        body: JSON.stringify({ model: t.model, messages: [{ role: 'user', content: 'smoke' }], ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) }),
        signal: AbortSignal.timeout(10_000),
      }).catch((e: Error) => ({ ok: false, status: 0, text: async () => e.message }) as const);
      const text = await res.text();
      const good = res.ok && (stream ? text.includes('[DONE]') : text.includes('chat.completion'));
      if (!good) {
        const why = `smoke ${stream ? 'stream' : 'request'} failed: ${res.status} ${text.slice(0, 160)}`;
        if (!t.optional) throw new Error(`${t.label}: ${why}`);
        t.skipped = why;
        if (t.child) await stopChild(t.child);
        log(`${t.label} skipped: ${why}`);
        break;
      }
    }
  }

  const baseline = await tsxBaseline();
  log(`bare node:http server RSS: ${baseline.plainMiB.toFixed(1)} MiB plain, ${baseline.tsxMiB.toFixed(1)} MiB with --import tsx`);
  await sleep(500);
  const results = new Map<string, ScenarioResult>();
  for (const t of targets) {
    results.set(t.id, { id: t.id, label: t.label, process: t.process, ...(t.skipped ? { skipped: t.skipped } : { startRssMiB: rssMiB(t.pid!) }) });
  }
  if (idleS > 0) log(`idle: ${idleS} s without traffic before reading idle RSS`);
  await sleep(idleS * 1000);
  for (const t of targets) if (!t.skipped) results.get(t.id)!.idleRssMiB = rssMiB(t.pid!);

  const phases = [
    { key: 'c1' as const, concurrency: 1, stream: false, durationS },
    { key: 'cN' as const, concurrency, stream: false, durationS },
    { key: 'stream' as const, concurrency: 1, stream: true, durationS: streamDurationS },
  ];
  // Pre-warm: every server gets a few seconds at full concurrency before anything is measured, so
  // that JIT warm-up (Portkey's in particular) does not land in the first round.
  if (prewarmS > 0) log(`pre-warm: ${prewarmS} s at c=${concurrency} each (not measured)`);
  for (const t of targets) {
    if (t.skipped || prewarmS <= 0) continue;
    await runLoad(t, { stream: false, concurrency, warmupMs: Math.round(prewarmS * 1000), durationMs: 100 });
  }
  const loadAvgStart = os.loadavg()[0];
  const collected = new Map<string, PhaseResult[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const phase of phases) {
      log(`round ${round}/${rounds}: ${phase.stream ? 'stream' : 'chat'} c=${phase.concurrency}, ${phase.durationS} s each`);
      for (const t of targets) {
        if (t.skipped) continue;
        const r = await runLoad(t, {
          stream: phase.stream, concurrency: phase.concurrency,
          warmupMs: Math.round(warmupS * 1000), durationMs: Math.round(phase.durationS * 1000),
        });
        const key = `${t.id}:${phase.key}`;
        collected.set(key, [...(collected.get(key) ?? []), r]);
        log(`  ${t.label.padEnd(28)} ${short(r, phase.stream)}`);
      }
    }
  }
  for (const t of targets) {
    if (t.skipped) continue;
    for (const phase of phases) results.get(t.id)![phase.key] = mergeRounds(collected.get(`${t.id}:${phase.key}`)!);
  }
  const loadAvgEnd = os.loadavg()[0];
  if (idleS > 0) log(`idle: ${idleS} s without traffic before reading RSS after the run`);
  await sleep(Math.max(500, idleS * 1000));
  for (const t of targets) if (!t.skipped) results.get(t.id)!.idleRssAfterMiB = rssMiB(t.pid!);

  const out: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    quick,
    machine: { ...machine(), bareRssMiB: baseline.plainMiB, bareTsxRssMiB: baseline.tsxMiB, runtime: USE_TSX ? 'tsx' : 'compiled' },
    settings: { idleS, prewarmS, warmupS, durationS, streamDurationS, concurrency, streamChunks, chunkDelayMs, rounds },
    loadAverage: { start: loadAvgStart, end: loadAvgEnd },
    portkey: portkeyInfo,
    scenarios: targets.map((t) => results.get(t.id)!),
  };
  writeFileSync(RESULTS_FILE, JSON.stringify(out, null, 2) + '\n');
  writeDoc(out);
  process.stdout.write('\n' + renderTables(out) + '\n\n' + renderTargets(out) + '\n\n');
  log(`wrote ${path.relative(process.cwd(), RESULTS_FILE)}, docs/benchmarks.md, docs/images/bench-throughput.svg`);
  rmSync(logDir, { recursive: true, force: true });
}

/** --profile: one Switchyard scenario under --cpu-prof at concurrency N; summary into bench/profile.json. */
async function profile(scenario: string, upstreamBase: string, logDir: string): Promise<void> {
  const dir = path.join(BENCH_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const t: Target = {
    id: `sy-${scenario}`, label: `Switchyard: ${scenario}`, process: '', model: 'bench/bench-model',
    headers: scenario === 'all' ? { authorization: `Bearer ${BENCH_CLIENT_KEY}` } : {},
  };
  const started = Date.now();
  let spawnedAt = 0;
  t.start = () => {
    spawnedAt = performance.now();
    return Promise.resolve(spawnNode(path.join(BENCH_DIR, 'gateway.ts'), [`--scenario=${scenario}`, `--port=${port}`, `--upstream=${upstreamBase}`], {
      logFile: path.join(logDir, `profile-${scenario}.log`),
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
    }));
  };
  await startTarget(t, port);
  log(`profiling ${t.label} at c=${concurrency} for ${durationS} s`);
  const r = await runLoad(t, { stream: false, concurrency, warmupMs: Math.round(warmupS * 1000), durationMs: Math.round(durationS * 1000) });
  log(`  ${short(r, false)}`);
  // The measured window, relative to the gateway's spawn (the profiler starts a few ms later, so the
  // window is shifted by that much: negligible against seconds of load).
  const window: [number, number] = [r.measureStartAt! - spawnedAt, r.measureEndAt! - spawnedAt];
  await stopChild(t.child!, 10_000);
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: tsx's module-loader thread writes one too; keep
  // the main thread's (thread 0) of the gateway process.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(t.pid) && f.split('.')[4] === '0')
    .map((f) => path.join(dir, f)).filter((f) => statSync(f).mtimeMs >= started);
  if (!files.length) throw new Error(`no main-thread .cpuprofile for pid ${t.pid} in ${dir}`);
  const summary = summariseProfile(files[0], t.id, r.load.requests, r.load.rps, window);
  writeFileSync(PROFILE_FILE, JSON.stringify(summary, null, 2) + '\n');
  log(`profile: ${path.relative(process.cwd(), files[0])} (open in Chrome DevTools or speedscope); summary in bench/profile.json`);
  const results = readJson<BenchResults>(RESULTS_FILE);
  if (results) writeDoc(results);
  else log('no bench/results.json yet: run `npm run bench` to write docs/benchmarks.md');
  for (const e of summary.topFunctions.slice(0, 15)) process.stdout.write(`${e.selfPct.toFixed(1).padStart(5)}%  ${e.name}  ${e.where}\n`);
  process.stdout.write('\n');
  for (const a of summary.byArea) process.stdout.write(`${a.selfPct.toFixed(1).padStart(5)}%  ${a.area}\n`);
}

/** --soak[=seconds]: one Switchyard scenario under steady load, RSS sampled over time (bench/soak.json). */
async function soak(seconds: number, scenario: string, upstreamBase: string, logDir: string): Promise<void> {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--soak needs a positive number of seconds, got ${seconds}`);
  const soakConcurrency = envNum('BENCH_SOAK_CONCURRENCY', 16);
  const port = await freePort();
  const t: Target = {
    id: `sy-${scenario}`, label: `Switchyard: ${scenario}`, process: '', model: 'bench/bench-model',
    headers: scenario === 'all' ? { authorization: `Bearer ${BENCH_CLIENT_KEY}` } : {},
  };
  t.start = () => Promise.resolve(spawnNode(path.join(BENCH_DIR, 'gateway.ts'), [`--scenario=${scenario}`, `--port=${port}`, `--upstream=${upstreamBase}`],
    { logFile: path.join(logDir, `soak-${scenario}.log`) }));
  await startTarget(t, port);
  await sleep(1000);
  const samples: Array<{ s: number; rssMiB: number }> = [{ s: 0, rssMiB: rssMiB(t.pid!) }];
  log(`soak: ${t.label} at c=${soakConcurrency} for ${seconds} s, RSS every ${Math.min(10, seconds / 10)} s`);
  const t0 = performance.now();
  const every = Math.max(0.5, Math.min(10, seconds / 10)) * 1000;
  const sampler = setInterval(() => {
    const sample = { s: Math.round((performance.now() - t0) / 100) / 10, rssMiB: rssMiB(t.pid!) };
    samples.push(sample);
    if (samples.length % 6 === 0) log(`  ${sample.s} s: ${sample.rssMiB.toFixed(1)} MiB`);
  }, every);
  const r = await runLoad(t, { stream: false, concurrency: soakConcurrency, warmupMs: 0, durationMs: Math.round(seconds * 1000) });
  clearInterval(sampler);
  await sleep(2000);
  samples.push({ s: Math.round((performance.now() - t0) / 100) / 10, rssMiB: rssMiB(t.pid!) });
  const out: SoakResult = { date: new Date().toISOString(), scenario: t.id, seconds, concurrency: soakConcurrency, requests: r.load.requests, rps: r.load.rps, errors: r.load.errors, samples };
  writeFileSync(SOAK_FILE, JSON.stringify(out, null, 2) + '\n');
  const results = readJson<BenchResults>(RESULTS_FILE);
  if (results) writeDoc(results);
  process.stdout.write(renderSoak(out) + '\n');
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
  });
