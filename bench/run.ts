/**
 * `npm run bench`: start the emulated upstream, the floor (a buffered undici pass-through), the old
 * streaming pass-through, Switchyard in three configurations (zero-config, production, all plugins)
 * and Portkey, each as its own process on 127.0.0.1; drive them with wrk (C, its own process) phase
 * by phase, every server in turn within a phase, over several rounds; write bench/results.json,
 * docs/benchmarks.md and docs/images/bench-throughput.svg, and print the tables.
 *
 *   npm run bench [-- --quick] [-- --only=direct,floor,sy-zero] [-- --profile[=sy-zero,sy-production,floor]]
 *                 [-- --soak[=seconds] [--soak-scenario=sy-production]]
 *   env: BENCH_DURATION (s per measured phase and round, default 4), BENCH_SLICES (the servers take
 *        turns in that many slices of the duration, default one a second: bench/slices.ts),
 *        BENCH_ROUNDS (3; medians are reported), BENCH_PREWARM (3),
 *        BENCH_WARMUP (1 s of unmeasured load before each phase),
 *        BENCH_CONCURRENCY (64), BENCH_CHUNKS (20), BENCH_CHUNK_DELAY_MS (2), BENCH_NO_PORTKEY=1,
 *        BENCH_SOAK_CONCURRENCY (16), BENCH_IDLE (60 s without traffic before idle RSS is read),
 *        BENCH_IDLE_STARTS (3 starts of the .ts production config via the CLI and of zero-config),
 *        BENCH_TSX=1 (run under tsx, not compiled)
 */
import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  argValue,
  median,
  BENCH_DIR,
  cpuMs,
  freePort,
  HOST,
  installCleanup,
  rssMiB,
  sleep,
  spawnNode,
  stopAll,
  stopChild,
  USE_TSX,
  waitForPort,
} from './common.js';
import type { LoadResult, LoadSpec } from './load.js';
import { ensurePortkey, portkeyHeaders } from './portkey.js';
import { summariseProfile } from './profile.js';
import {
  PROFILE_FILE,
  readJson,
  renderSoak,
  RESULTS_FILE,
  renderTables,
  renderTargets,
  SOAK_FILE,
  writeDoc,
  type BenchResults,
  type PhaseKey,
  type PhaseResult,
  type ProfileSummary,
  type ScenarioResult,
  type SoakResult,
} from './report.js';
import { BENCH_MODEL } from './scenarios.js';
import { type ServerId, type ServerSpec, startBenchUpstream } from './servers.js';
import { joinSlices, sliceOrder } from './slices.js';
import { ensureWrk, runWrk, type WrkResult } from './wrk.js';

const argv = process.argv.slice(2);
const quick = argValue(argv, 'quick') !== undefined;
const envNum = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const durationS = Math.max(
  1,
  Math.round(Number(argValue(argv, 'duration') ?? envNum('BENCH_DURATION', quick ? 1 : 4))),
);
const warmupS = Math.round(envNum('BENCH_WARMUP', quick ? 0 : 1));
const prewarmS = Math.round(envNum('BENCH_PREWARM', quick ? 1 : 3));
/** Seconds without traffic before "idle" RSS is read (V8's memory reducer runs 20-60 s into idleness). */
const idleS = envNum('BENCH_IDLE', quick ? 0 : 60);
/** Starts of each idle-only server (their idle RSS is reported as the median). */
const IDLE_STARTS = Math.max(1, Math.round(envNum('BENCH_IDLE_STARTS', quick ? 1 : 3)));
const rounds = Math.max(1, Math.round(Number(argValue(argv, 'rounds') ?? envNum('BENCH_ROUNDS', quick ? 1 : 3))));
/** Slices of a round's measured time per server (bench/slices.ts): one a second unless BENCH_SLICES says. */
const slices = Math.min(durationS, Math.max(1, Math.round(envNum('BENCH_SLICES', durationS))));
const sliceS = Math.max(1, Math.round(durationS / slices));
const concurrency = envNum('BENCH_CONCURRENCY', 64);
const streamChunks = envNum('BENCH_CHUNKS', 20);
const chunkDelayMs = envNum('BENCH_CHUNK_DELAY_MS', 2);
/** SSE events per upstream stream: the content chunks, the usage chunk (include_usage) and [DONE]. */
const eventsPerStream = streamChunks + 2;
const only = argValue(argv, 'only')
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const profileArg = argValue(argv, 'profile');
const soakArg = argValue(argv, 'soak');
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

interface Target {
  id: string;
  label: string;
  process: string;
  start?: () => ChildProcess;
  child?: ChildProcess;
  pid?: number;
  port?: number;
  model: string;
  headers: Record<string, string>;
  skipped?: string;
  optional?: boolean;
  /** Started for its idle memory only, stopped before the load phases. */
  idleOnly?: boolean;
}

async function startTarget(t: Target, port: number): Promise<void> {
  t.port = port;
  const child = t.start!();
  t.child = child;
  t.pid = child.pid;
  await waitForPort(port, 60_000, child);
}

/** One wrk run against a target, with the server's CPU time and peak RSS over the run. */
async function wrkPhase(t: Target, stream: boolean, c: number, seconds: number): Promise<PhaseResult> {
  const pid = t.pid!;
  let cpu0 = NaN;
  let cpu1 = NaN;
  let rssMax = rssMiB(pid);
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, rssMiB(pid));
  }, 250);
  let r: WrkResult;
  try {
    r = await runWrk(
      {
        url: `http://${HOST}:${t.port}`,
        model: t.model,
        stream,
        concurrency: c,
        durationS: seconds,
        headers: t.headers,
      },
      {
        onStart: () => {
          cpu0 = cpuMs(pid);
        },
        onEnd: () => {
          cpu1 = cpuMs(pid);
        },
      },
    );
  } finally {
    clearInterval(sampler);
  }
  rssMax = Math.max(rssMax, rssMiB(pid));
  const cpu = cpu1 - cpu0;
  return {
    requests: r.requests,
    errors: r.errors,
    seconds: r.seconds,
    rps: r.rps,
    latency: r.latency,
    cpuMs: cpu,
    cpuMsPerReq: r.requests ? cpu / r.requests : NaN,
    ...(stream ? { cpuUsPerChunk: r.requests ? (cpu * 1000) / (r.requests * eventsPerStream) : NaN } : {}),
    rssMaxMiB: rssMax,
  };
}

/** Streaming at concurrency 1 through the Node load generator (bench/load.ts): time to first byte. */
async function ttfbPhase(t: Target, seconds: number): Promise<PhaseResult> {
  const spec: LoadSpec = {
    url: `http://${HOST}:${t.port}`,
    path: '/v1/chat/completions',
    headers: t.headers,
    model: t.model,
    stream: true,
    concurrency: 1,
    warmupMs: 300,
    durationMs: seconds * 1000,
  };
  const child = spawnNode(path.join(BENCH_DIR, 'load.ts'), [JSON.stringify(spec)], { stdout: 'pipe' });
  let resultLine = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), spec.durationMs + 30_000);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{')) resultLine = line;
  });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(killer);
  if (code !== 0 || !resultLine) throw new Error(`load generator for ${t.id} failed (exit ${code})`);
  const l = JSON.parse(resultLine) as LoadResult;
  return { requests: l.requests, errors: l.errors, seconds: l.seconds, rps: l.rps, latency: l.latency, ttfb: l.ttfb };
}

/** Several rounds of one phase -> one result: the median of every figure (RSS: the highest). */
function mergeRounds(rs: PhaseResult[]): PhaseResult {
  const stat = (pick: (r: PhaseResult) => PhaseResult['latency'] | undefined) => {
    const all = rs.map(pick).filter((x): x is PhaseResult['latency'] => x !== undefined);
    if (!all.length) return undefined;
    return {
      p50: median(all.map((x) => x.p50)),
      p90: median(all.map((x) => x.p90)),
      p99: median(all.map((x) => x.p99)),
      mean: median(all.map((x) => x.mean)),
      max: Math.max(...all.map((x) => x.max)),
    };
  };
  const opt = (pick: (r: PhaseResult) => number | undefined) => {
    const xs = rs.map(pick).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  return {
    requests: rs.reduce((n, r) => n + r.requests, 0),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    seconds: rs.reduce((n, r) => n + r.seconds, 0),
    rps: median(rs.map((r) => r.rps)),
    latency: stat((r) => r.latency)!,
    ...(rs[0].ttfb ? { ttfb: stat((r) => r.ttfb) } : {}),
    ...(rs[0].cpuMsPerReq !== undefined ? { cpuMsPerReq: opt((r) => r.cpuMsPerReq) } : {}),
    ...(rs[0].cpuUsPerChunk !== undefined ? { cpuUsPerChunk: opt((r) => r.cpuUsPerChunk) } : {}),
    ...(rs[0].rssMaxMiB !== undefined ? { rssMaxMiB: Math.max(...rs.map((r) => r.rssMaxMiB ?? NaN)) } : {}),
    rounds: rs.length,
    perRound: {
      rps: rs.map((r) => r.rps),
      cpuMsPerReq: rs.map((r) => r.cpuMsPerReq ?? NaN),
      p50: rs.map((r) => r.latency.p50),
      ...(rs[0].ttfb ? { ttfbP50: rs.map((r) => r.ttfb?.p50 ?? NaN) } : {}),
      ...(rs[0].cpuUsPerChunk !== undefined ? { cpuUsPerChunk: rs.map((r) => r.cpuUsPerChunk ?? NaN) } : {}),
    },
  };
}

function machine(): BenchResults['machine'] {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    nproc: os.availableParallelism(),
    cpu,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memGiB: os.totalmem() / 2 ** 30,
  };
}

function short(r: PhaseResult): string {
  return (
    `${r.requests} req, ${r.rps.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(3)} ms, p99 ` +
    `${r.latency.p99.toFixed(3)} ms` +
    (r.ttfb ? `, ttfb p50 ${r.ttfb.p50.toFixed(3)} ms` : '') +
    (r.cpuMsPerReq !== undefined ? `, cpu ${r.cpuMsPerReq.toFixed(3)} ms/req` : '') +
    (r.cpuUsPerChunk !== undefined ? ` (${r.cpuUsPerChunk.toFixed(1)} µs/chunk)` : '') +
    (r.errors ? `, ${r.errors} errors` : '')
  );
}

/** A target from its spec; `start` > 1 numbers a further start of the same server (id `spec#n`). */
function fromSpec(s: ServerSpec, logDir: string, portOf: (id: string) => () => number, start = 1): Target {
  const id = start > 1 ? `${s.id}#${start}` : s.id;
  const port = portOf(id);
  return {
    id,
    label: start > 1 ? `${s.label} (start ${start})` : s.label,
    process: s.process,
    model: s.model,
    headers: s.authorization ? { authorization: s.authorization } : {},
    start: () =>
      spawnNode(s.script, s.args(port()), {
        logFile: path.join(logDir, `${id}.log`),
        env: s.env,
        replaceEnv: true,
        cwd: s.cwd,
      }),
  };
}

/** A plain and a streamed request through a target, so that a broken scenario fails before timing. */
async function smoke(t: Target): Promise<string | undefined> {
  for (const stream of [false, true]) {
    const res = await fetch(`http://${HOST}:${t.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t.headers },
      body: JSON.stringify({
        model: t.model,
        messages: [{ role: 'user', content: 'smoke' }],
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
      signal: AbortSignal.timeout(20_000),
    }).catch((e: Error) => ({ ok: false, status: 0, text: async () => e.message }) as const);
    const text = await res.text();
    const good = res.ok && (stream ? text.includes('[DONE]') : text.includes('chat.completion'));
    if (!good) return `smoke ${stream ? 'stream' : 'request'} failed: ${res.status} ${text.slice(0, 160)}`;
  }
  return undefined;
}

async function main(): Promise<void> {
  installCleanup();
  ensureWrk(log);
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  log(`server logs in ${logDir}`);
  const {
    child: upstream,
    port: upstreamPort,
    origin: upstreamOrigin,
    specs,
  } = await startBenchUpstream(
    logDir,
    ['floor.ts', 'streaming-passthrough.ts', 'gateway.ts', 'portkey.ts', 'load.ts'],
    log,
    [`--chunks=${streamChunks}`, `--chunk-delay=${chunkDelayMs}`],
  );

  if (soakArg !== undefined) {
    await soak(
      soakArg === 'true' ? 600 : Number(soakArg),
      (argValue(argv, 'soak-scenario') ?? 'sy-production') as ServerId,
      specs,
      logDir,
    );
    return;
  }
  if (profileArg !== undefined) {
    const ids = (profileArg === 'true' ? 'floor,sy-zero,sy-production' : profileArg).split(',') as ServerId[];
    await profile(ids, specs, logDir);
    return;
  }

  const ports = new Map<string, number>();
  const portOf = (id: string) => () => ports.get(id)!;
  const targets: Target[] = [
    {
      id: 'direct',
      label: 'upstream, direct',
      process: 'the emulated upstream itself (bench/upstream.ts)',
      model: BENCH_MODEL,
      headers: {},
    },
    fromSpec(specs.floor, logDir, portOf),
    fromSpec(specs['json-floor'], logDir, portOf),
    fromSpec(specs['streaming-passthrough'], logDir, portOf),
    fromSpec(specs['sy-zero'], logDir, portOf),
    fromSpec(specs['sy-production'], logDir, portOf),
    fromSpec(specs['sy-all'], logDir, portOf),
    {
      id: 'portkey',
      label: 'Portkey',
      process: '@portkey-ai/gateway (pinned), build/start-server.js --headless via bench/portkey.ts',
      model: BENCH_MODEL,
      headers: portkeyHeaders(`${upstreamOrigin}/v1`),
      optional: true,
    },
  ];
  // Idle-only: the production config as a .ts file through the CLI, as users start it, with and without
  // MALLOC_ARENA_MAX=2. One start's idle RSS varies by ~10 MiB (bench/profile-notes.md, eighth round),
  // so each runs IDLE_STARTS times and the targets table reports the median.
  for (const id of ['sy-production-ts', 'sy-production-ts-arenas'] as const) {
    for (let n = 1; n <= IDLE_STARTS; n++) {
      targets.push({ ...fromSpec(specs[id], logDir, portOf, n), idleOnly: true });
    }
  }
  // Zero-config's idle RSS has the same start-to-start spread: its measured start is the first of
  // IDLE_STARTS, the others start for their idle memory only.
  for (let n = 2; n <= IDLE_STARTS; n++)
    targets.push({ ...fromSpec(specs['sy-zero'], logDir, portOf, n), idleOnly: true });
  const active = targets.filter((t) => !only || only.includes(t.id.split('#')[0]!));
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
      portkeyTarget.process =
        `@portkey-ai/gateway ${status.version} with @hono/node-server ${status.honoNodeServer}, ` +
        'build/start-server.js --headless, bound to 127.0.0.1 by bench/portkey.ts';
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
    ports.set(t.id, port);
    t.port = port;
    if (t.id === 'portkey')
      t.start = () =>
        spawnNode(path.join(BENCH_DIR, 'portkey.ts'), [`--port=${port}`], {
          logFile: path.join(logDir, 'portkey.log'),
        });
  }
  // Start one at a time: start-up RSS is read right after, and parallel start-ups fight for 2 CPUs.
  for (const t of targets.filter((x) => x.start && !x.skipped)) {
    try {
      await startTarget(t, t.port!);
    } catch (e) {
      if (!t.optional) throw new Error(`${t.label} did not start: ${(e as Error).message} (see ${logDir})`);
      t.skipped = `did not start: ${(e as Error).message}`;
      if (t.child) await stopChild(t.child);
    }
  }
  for (const t of targets.filter((x) => !x.skipped)) {
    const why = await smoke(t);
    if (!why) continue;
    if (!t.optional) throw new Error(`${t.label}: ${why} (see ${logDir})`);
    t.skipped = why;
    if (t.child) await stopChild(t.child);
    log(`${t.label} skipped: ${why}`);
  }

  const results = new Map<string, ScenarioResult>();
  for (const t of targets) {
    results.set(t.id, {
      id: t.id,
      label: t.label,
      process: t.process,
      ...(t.idleOnly ? { idleOnly: true } : {}),
      ...(t.skipped ? { skipped: t.skipped } : { startRssMiB: rssMiB(t.pid!) }),
    });
  }
  if (idleS > 0) log(`idle: ${idleS} s without traffic before reading idle RSS`);
  await sleep(Math.max(500, idleS * 1000));
  for (const t of targets) if (!t.skipped) results.get(t.id)!.idleRssMiB = rssMiB(t.pid!);
  for (const t of targets) if (t.idleOnly && t.child) await stopChild(t.child);
  const loaded = targets.filter((t) => !t.skipped && !t.idleOnly);

  // Pre-warm: every server gets a few seconds at full concurrency (plain and streamed) before
  // anything is measured, so that JIT warm-up does not land in the first round.
  if (prewarmS > 0) log(`pre-warm: ${prewarmS} s at c=${concurrency} each, plain and streamed (not measured)`);
  for (const t of loaded) {
    if (prewarmS <= 0) break;
    await wrkPhase(t, false, concurrency, prewarmS);
    await wrkPhase(t, true, concurrency, 1);
  }

  const phases: Array<{
    key: PhaseKey;
    what: string;
    /** One measured slice of `seconds`. */
    run: (t: Target, seconds: number) => Promise<PhaseResult>;
    warm: (t: Target) => Promise<unknown>;
  }> = [
    {
      key: 'c1',
      what: 'chat c=1',
      run: (t, sec) => wrkPhase(t, false, 1, sec),
      warm: (t) => wrkPhase(t, false, 1, warmupS),
    },
    {
      key: 'cN',
      what: `chat c=${concurrency}`,
      run: (t, sec) => wrkPhase(t, false, concurrency, sec),
      warm: (t) => wrkPhase(t, false, concurrency, warmupS),
    },
    { key: 'stream1', what: 'stream c=1 (TTFB)', run: (t, sec) => ttfbPhase(t, sec), warm: async () => undefined },
    {
      key: 'streamN',
      what: `stream c=${concurrency}`,
      run: (t, sec) => wrkPhase(t, true, concurrency, sec),
      warm: (t) => wrkPhase(t, true, concurrency, warmupS),
    },
  ];
  const loadAvgStart = os.loadavg()[0];
  const collected = new Map<string, PhaseResult[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const phase of phases) {
      log(`round ${round}/${rounds}: ${phase.what}, ${durationS} s each in ${slices} slice(s) of ${sliceS} s`);
      // Each round starts one server later, so that no server always runs first or always follows the same one.
      const order = loaded.map((_, i) => loaded[(i + round - 1) % loaded.length]!);
      if (warmupS > 0) for (const t of order) await phase.warm(t);
      // The servers take turns slice by slice, so that all of them are measured over the same stretch
      // of the round (bench/slices.ts).
      const parts = new Map<Target, PhaseResult[]>(order.map((t) => [t, []]));
      for (const t of sliceOrder(order, slices)) parts.get(t)!.push(await phase.run(t, sliceS));
      for (const t of order) {
        const r = joinSlices(parts.get(t)!);
        const key = `${t.id}:${phase.key}`;
        collected.set(key, [...(collected.get(key) ?? []), r]);
        log(`  ${t.label.padEnd(36)} ${short(r)}`);
      }
    }
  }
  for (const t of loaded) {
    for (const phase of phases) results.get(t.id)![phase.key] = mergeRounds(collected.get(`${t.id}:${phase.key}`)!);
  }
  const loadAvgEnd = os.loadavg()[0];
  if (idleS > 0) log(`idle: ${idleS} s without traffic before reading RSS after the run`);
  await sleep(Math.max(500, idleS * 1000));
  for (const t of loaded) results.get(t.id)!.idleRssAfterMiB = rssMiB(t.pid!);

  const out: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    quick,
    machine: { ...machine(), runtime: USE_TSX ? 'tsx' : 'compiled' },
    settings: {
      idleS,
      prewarmS,
      warmupS,
      durationS,
      concurrency,
      streamChunks,
      chunkDelayMs,
      eventsPerStream,
      rounds,
      slices,
      loadGenerator: 'wrk',
    },
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

/**
 * --profile[=ids]: each server under --cpu-prof (and a sampling heap profile that keeps collected
 * objects, i.e. allocations) at concurrency N; summaries into bench/profile.json.
 */
async function profile(ids: ServerId[], specs: Record<ServerId, ServerSpec>, logDir: string): Promise<void> {
  const dir = path.join(BENCH_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const summaries: ProfileSummary[] = [];
  for (const id of ids) {
    const spec = specs[id];
    if (!spec) throw new Error(`unknown scenario "${id}"`);
    const port = await freePort();
    const t: Target = {
      id,
      label: spec.label,
      process: spec.process,
      model: spec.model,
      headers: spec.authorization ? { authorization: spec.authorization } : {},
    };
    const started = Date.now();
    let spawnedAt = 0;
    const allocFile = path.join(dir, `${id}.${started}.allocations.json`);
    t.start = () => {
      spawnedAt = performance.now();
      return spawnNode(spec.script, spec.args(port), {
        logFile: path.join(logDir, `profile-${id}.log`),
        env: { ...spec.env, BENCH_ALLOC_PROFILE: allocFile },
        replaceEnv: true,
        cwd: spec.cwd,
        nodeArgs: [
          '--cpu-prof',
          `--cpu-prof-dir=${dir}`,
          '--cpu-prof-interval=200',
          '--import',
          path.join(BENCH_DIR, 'alloc-profile.mjs'),
        ],
      });
    };
    await startTarget(t, port);
    const why = await smoke(t);
    if (why) throw new Error(`${spec.label}: ${why}`);
    log(`profiling ${t.label} at c=${concurrency}: ${prewarmS} s warm-up, then ${durationS * 2} s`);
    if (prewarmS > 0) await wrkPhase(t, false, concurrency, prewarmS);
    // The window of the measured phase, relative to the process's spawn (the profiler starts a few
    // ms later: negligible against seconds of load). Allocation sampling runs in the same window.
    process.kill(t.pid!, 'SIGUSR2');
    const from = performance.now() - spawnedAt;
    const r = await wrkPhase(t, false, concurrency, durationS * 2);
    const to = performance.now() - spawnedAt;
    process.kill(t.pid!, 'SIGUSR2');
    log(`  ${short(r)}`);
    await sleep(500);
    await stopChild(t.child!, 20_000);
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: keep the main thread's (thread 0).
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(t.pid) && f.split('.')[4] === '0')
      .map((f) => path.join(dir, f))
      .filter((f) => statSync(f).mtimeMs >= started);
    if (!files.length) throw new Error(`no main-thread .cpuprofile for pid ${t.pid} in ${dir}`);
    const s = summariseProfile(files[0], id, r.requests, r.rps, [from, to], allocFile);
    s.cpuMsPerReq = r.cpuMsPerReq;
    summaries.push(s);
    log(
      `  profile: ${path.relative(process.cwd(), files[0])}; allocations: ${path.relative(process.cwd(), allocFile)}`,
    );
  }
  const previous = readJson<ProfileSummary[] | ProfileSummary>(PROFILE_FILE);
  const kept = (Array.isArray(previous) ? previous : []).filter((p) => !ids.includes(p.scenario as ServerId));
  writeFileSync(PROFILE_FILE, JSON.stringify([...kept, ...summaries], null, 2) + '\n');
  const results = readJson<BenchResults>(RESULTS_FILE);
  if (results) writeDoc(results);
  for (const s of summaries) {
    process.stdout.write(`\n${s.scenario}: ${s.cpuMsPerReq?.toFixed(3)} ms CPU per request\n`);
    for (const e of s.topFunctions.slice(0, 15))
      process.stdout.write(`${e.selfPct.toFixed(1).padStart(5)}%  ${e.name}  ${e.where}\n`);
  }
}

const MIB = 1024 * 1024;

/** The line after the first `skip` lines of a file, once it is there (the soak probe appends them). */
async function waitForLine(file: string, skip: number, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > skip) return lines[skip];
    if (Date.now() > until) throw new Error(`no line ${skip + 1} in ${file} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * --soak[=seconds]: one server under steady load, RSS sampled over time, and once a minute a full collection
 * and the memory it leaves (bench/soak-probe.mjs), into bench/soak.json.
 */
async function soak(seconds: number, id: ServerId, specs: Record<ServerId, ServerSpec>, logDir: string): Promise<void> {
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`--soak needs a positive number of seconds, got ${seconds}`);
  const spec = specs[id];
  if (!spec) throw new Error(`unknown scenario "${id}"`);
  const soakConcurrency = envNum('BENCH_SOAK_CONCURRENCY', 16);
  const port = await freePort();
  const t = fromSpec(spec, logDir, () => () => port);
  // A full collection once a minute (bench/soak-probe.mjs, on SIGUSR2) and the memory it leaves.
  const probeFile = path.join(logDir, `soak-probe-${Date.now()}.jsonl`);
  t.start = () =>
    spawnNode(spec.script, spec.args(port), {
      logFile: path.join(logDir, `soak-${id}.log`),
      env: { ...spec.env, BENCH_SOAK_PROBE: probeFile },
      replaceEnv: true,
      cwd: spec.cwd,
      nodeArgs: ['--expose-gc', '--import', path.join(BENCH_DIR, 'soak-probe.mjs')],
    });
  await startTarget(t, port);
  const why = await smoke(t);
  if (why) throw new Error(`${spec.label}: ${why}`);
  await sleep(1000);
  const t0 = performance.now();
  const now = () => Math.round((performance.now() - t0) / 100) / 10;
  const samples: Array<{ s: number; rssMiB: number }> = [{ s: 0, rssMiB: rssMiB(t.pid!) }];
  const afterGc: NonNullable<SoakResult['afterGc']> = [];
  const probe = async () => {
    const s = now();
    process.kill(t.pid!, 'SIGUSR2');
    const line = await waitForLine(probeFile, afterGc.length, 30_000);
    const m = JSON.parse(line) as { rss: number; heapUsed: number; external: number };
    afterGc.push({ s, rssMiB: m.rss / MIB, heapUsedMiB: m.heapUsed / MIB, externalMiB: m.external / MIB });
    log(
      `  ${s} s, after a full collection: heap ${(m.heapUsed / MIB).toFixed(1)} MiB, RSS ${(m.rss / MIB).toFixed(1)}`,
    );
  };
  await probe();
  log(`soak: ${t.label} at c=${soakConcurrency} for ${seconds} s, RSS every ${Math.min(10, seconds / 10)} s`);
  const every = Math.max(0.5, Math.min(10, seconds / 10)) * 1000;
  const sampler = setInterval(() => {
    const sample = { s: now(), rssMiB: rssMiB(t.pid!) };
    samples.push(sample);
    if (samples.length % 6 === 0) log(`  ${sample.s} s: ${sample.rssMiB.toFixed(1)} MiB`);
  }, every);
  const probeEvery = Math.min(60, seconds / 5) * 1000;
  let probing = Promise.resolve();
  const prober = setInterval(() => {
    probing = probing.then(probe);
  }, probeEvery);
  const r = await wrkPhase(t, false, soakConcurrency, seconds);
  clearInterval(sampler);
  clearInterval(prober);
  await probing;
  await sleep(2000);
  samples.push({ s: now(), rssMiB: rssMiB(t.pid!) });
  await probe();
  const out: SoakResult = {
    date: new Date().toISOString(),
    scenario: t.id,
    seconds,
    concurrency: soakConcurrency,
    requests: r.requests,
    rps: r.rps,
    errors: r.errors,
    samples,
    afterGc,
  };
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
