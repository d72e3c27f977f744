/**
 * `npm run bench:promotion`: what the young generation promotes per request, after a full collection.
 *
 * The instruction gate (bench/gate.ts) cannot see this: a request that stays reachable a little longer runs
 * the same instructions, but under load the scavenger copies it into the old generation, and the garbage
 * collector's time per request grows severalfold (bench/profile-notes.md, tenth round: a Set of open
 * requests kept every request alive through V8's dead tables once a full collection had moved the table
 * to the old generation; a backlog of log lines on the heap did the same). Each gated server runs under
 * wrk (c=256, see CONCURRENCY) with `--trace-gc-nvp`; after a warm-up it is told to run a full collection (SIGUSR2, see
 * bench/force-gc.mjs), then the bytes its scavenges promote are summed over a measured phase and divided
 * by the requests served. Fails when a figure is over its limit in each of three runs (see ATTEMPTS):
 * zero-config 1,000 B (measured ~150 B; the Set chain: ~3,100 B; V8's pretenuring left on: 4,000-6,300 B),
 * production 2,500 B (measured ~1,000 B, mostly what the exact cache keeps: every request of the bench is
 * new; the chain: 6,000-7,000 B; pretenuring left on: 5,300-5,700 B).
 *
 *   npm run bench:promotion [-- --scenarios=sy-zero,sy-production] [-- --seconds=6]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  argValue,
  BENCH_DIR,
  freePort,
  HOST,
  installCleanup,
  sleep,
  spawnNode,
  stopAll,
  stopChild,
  waitForPort,
} from './common.js';
import { type ServerId, type ServerSpec, startBenchUpstream } from './servers.js';
import { ensureWrk, runWrk } from './wrk.js';

/** Promoted bytes per request above which the gate fails. */
export const PROMOTION_LIMITS: Partial<Record<ServerId, number>> = { 'sy-zero': 1000, 'sy-production': 2500 };
const MARKER = 'SWITCHYARD_BENCH_FORCED_GC';
/**
 * Clients at once. At 64, V8's allocation-site pretenuring (which a listening gateway turns off,
 * core/pretenuring.ts) went wrong in only some runs, and CI failed on them; at 256 it goes wrong in every
 * run, so the gate sees that regression every time (bench/profile-notes.md, eighteenth round).
 */
const CONCURRENCY = 256;
/**
 * A figure over its limit is measured again on a fresh server, up to this many times in all, in case the
 * machine starves one run; a regression is over in every run. (The ~4,200 B per request that one run in a
 * few read before the eighteenth round was V8's pretenuring, not starvation.)
 */
const ATTEMPTS = 3;

/** Sum `promoted=` over the scavenges (`gc=s`) traced after the forced collection's marker line. */
export function promotedAfterMarker(trace: string): { bytes: number; scavenges: number } {
  const at = trace.indexOf(MARKER);
  if (at < 0) throw new Error('the forced collection did not happen (no marker in the trace)');
  let bytes = 0;
  let scavenges = 0;
  for (const line of trace.slice(at).split('\n')) {
    if (!line.includes(' gc=s ')) continue;
    const m = /\bpromoted=(\d+)/.exec(line);
    if (!m) continue;
    bytes += Number(m[1]);
    scavenges++;
  }
  return { bytes, scavenges };
}

/** One server under wrk: warm-up, a forced full collection, then the promoted bytes of the measured phase. */
async function measure(
  spec: ServerSpec,
  trace: string,
  seconds: number,
): Promise<{ bytes: number; scavenges: number; requests: number; rps: number }> {
  const port = await freePort();
  const child = spawnNode(spec.script, spec.args(port), {
    nodeArgs: ['--trace-gc-nvp', '--expose-gc', '--import', path.join(BENCH_DIR, 'force-gc.mjs')],
    env: spec.env,
    replaceEnv: true,
    cwd: spec.cwd,
    logFile: trace,
  });
  try {
    await waitForPort(port, 60_000, child);
    const headers: Record<string, string> = spec.authorization ? { Authorization: spec.authorization } : {};
    const load = { url: `http://${HOST}:${port}`, model: spec.model, stream: false, concurrency: CONCURRENCY, headers };
    await runWrk({ ...load, durationS: 3 }); // warm-up: code optimised, pools and caches made
    child.kill('SIGUSR2');
    for (let i = 0; i < 200 && !readFileSync(trace, 'utf8').includes(MARKER); i++) await sleep(50);
    const r = await runWrk({ ...load, durationS: seconds });
    if (r.errors) throw new Error(`${r.errors} failed requests`);
    return { ...promotedAfterMarker(readFileSync(trace, 'utf8')), requests: r.requests, rps: r.rps };
  } finally {
    await stopChild(child);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const ids = (argValue(argv, 'scenarios')?.split(',') ?? Object.keys(PROMOTION_LIMITS)) as ServerId[];
  const seconds = Number(argValue(argv, 'seconds') ?? 6);
  const log = (s: string) => process.stderr.write(`bench:promotion: ${s}\n`);
  ensureWrk(log);
  installCleanup();
  const work = mkdtempSync(path.join(os.tmpdir(), 'switchyard-promotion-'));
  let failed = false;
  try {
    const { specs } = await startBenchUpstream(work, ['gateway.ts'], log);
    for (const id of ids) {
      const spec = specs[id];
      const limit = PROMOTION_LIMITS[id];
      if (!spec || limit === undefined) throw new Error(`no promotion limit for scenario "${id}"`);
      let ok = false;
      for (let attempt = 1; attempt <= ATTEMPTS && !ok; attempt++) {
        const r = await measure(spec, path.join(work, `${id}-${attempt}.log`), seconds);
        const perRequest = r.bytes / r.requests;
        ok = perRequest <= limit;
        const verdict = ok ? 'ok' : attempt < ATTEMPTS ? 'over the limit, measuring again' : 'OVER THE LIMIT';
        log(
          `${id.padEnd(14)} ${Math.round(perRequest).toLocaleString('en-US')} B promoted per request ` +
            `(${r.scavenges} scavenges, ${r.requests} requests, ${Math.round(r.rps)} req/s; limit ` +
            `${limit.toLocaleString('en-US')} B; attempt ${attempt}/${ATTEMPTS}) ${verdict}`,
        );
      }
      failed ||= !ok;
    }
  } finally {
    await stopAll();
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench:promotion failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
