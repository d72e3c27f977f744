/**
 * `npm run bench:gate`: the benchmark smoke gate. It counts the instructions per request of
 * Switchyard's zero-config and production configurations under callgrind (bench/callgrind.ts) and
 * fails when either rises more than the tolerance (10%) over the committed figure in
 * bench/instructions.json. Instruction counts do not depend on how busy the machine is, so this can
 * run in CI where timings cannot.
 *
 *   npm run bench:gate                      check against bench/instructions.json
 *   npm run bench:gate -- --update          measure and write bench/instructions.json (commit it)
 *   npm run bench:gate -- --report          the floors, zero-config, production, all plugins, 3 runs x 2
 *                                           windows each: bench/instructions-report.json (docs/benchmarks.md)
 *   options: --runs=N --windows=N --requests=N --warmup=N --jobs=N (servers measured at once, default 2)
 *            --scenarios=sy-zero,sy-production
 *            --keep (leave the callgrind dumps, one per window and thread, for callgrind_annotate)
 *
 * Exit code 0: within tolerance; 1: a regression (or a failure to measure); 2: valgrind is missing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CALLGRIND_NODE_FLAGS, measureScenario, valgrindVersion, type ScenarioCounts } from './callgrind.js';
import { argValue, installCleanup, median, stopAll } from './common.js';
import { INSTRUCTIONS_FILE, INSTRUCTIONS_REPORT_FILE, readJson, type InstructionsData } from './report.js';
import { type ServerId, startBenchUpstream } from './servers.js';

/** A rise above this fraction over the committed figure fails the gate. */
export const TOLERANCE = 0.1;
const GATED: ServerId[] = ['sy-zero', 'sy-production'];
const REPORTED: ServerId[] = ['floor', 'json-floor', 'sy-zero', 'sy-production', 'sy-all'];

type InstructionFigure = NonNullable<InstructionsData['scenarios'][string]>;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function figure(c: ScenarioCounts): InstructionFigure {
  return {
    main: Math.round(median(c.main)),
    all: Math.round(median(c.all)),
    samples: c.main.map(Math.round),
    allSamples: c.all.map(Math.round),
    runs: c.runs,
    ...(c.breakdown ? { breakdown: c.breakdown, topNative: c.topNative } : {}),
  };
}

/** Spread of a list of samples: (max - min) / median. */
export function spread(xs: number[]): number {
  return xs.length < 2 ? 0 : (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const update = argValue(argv, 'update') !== undefined;
  const report = argValue(argv, 'report') !== undefined;
  const num = (name: string, dflt: number) => Number(argValue(argv, name) ?? dflt);
  const runs = num('runs', report ? 3 : 1);
  // Ten windows: a window with an old-generation collection counts up to twice the others, and the
  // median of two would follow it (bench/callgrind.ts); with six, two or three such windows in a
  // production run moved the median by 10% on one machine (bench/profile-notes.md, eighteenth round).
  const windows = num('windows', report ? 2 : 10);
  const requests = num('requests', 200);
  const warmup = num('warmup', 3000);
  const jobs = num('jobs', 2);
  const keep = argValue(argv, 'keep') !== undefined;
  const ids = (argValue(argv, 'scenarios')?.split(',') ?? (report ? REPORTED : GATED)) as ServerId[];
  const log = (s: string) => process.stderr.write(`bench:gate: ${s}\n`);

  const valgrind = valgrindVersion();
  if (!valgrind) {
    log('valgrind (with callgrind_control) is not installed: apt-get install -y valgrind');
    return 2;
  }
  installCleanup();
  const started = performance.now();
  const work = mkdtempSync(path.join(os.tmpdir(), 'switchyard-gate-'));
  try {
    const { specs } = await startBenchUpstream(work, ['floor.ts', 'gateway.ts'], log);
    log(
      `${valgrind}, node ${process.version} ${CALLGRIND_NODE_FLAGS.join(' ')}; ${runs} run(s) x ${windows} ` +
        `window(s) of ${requests} requests after ${warmup} warm-up requests`,
    );
    const measured: Record<string, InstructionFigure> = {};
    // Each server under valgrind is one busy thread at a time: two run side by side on two CPUs.
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const spec = specs[id];
        if (!spec) throw new Error(`unknown scenario "${id}"`);
        measured[id] = figure(
          await measureScenario(spec, {
            warmup,
            requests,
            windows,
            runs,
            outDir: path.join(work, 'callgrind'),
            log,
            breakdown: report,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
    const result: InstructionsData = {
      date: new Date().toISOString(),
      node: process.version,
      valgrind,
      nodeFlags: CALLGRIND_NODE_FLAGS,
      settings: { warmup, requests, windows, runs },
      tolerance: TOLERANCE,
      scenarios: measured,
    };
    log(`measured in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    for (const [id, f] of Object.entries(measured)) {
      process.stdout.write(
        `${id.padEnd(14)} ${fmt(f.main).padStart(11)} instructions/request (main thread; windows ` +
          `${f.samples.map(fmt).join(', ')}; spread ${(spread(f.samples) * 100).toFixed(1)}%), all threads ` +
          `${fmt(f.all)}\n`,
      );
    }
    if (report) {
      writeFileSync(INSTRUCTIONS_REPORT_FILE, JSON.stringify(result, null, 2) + '\n');
      log(`wrote ${path.relative(process.cwd(), INSTRUCTIONS_REPORT_FILE)}`);
      return 0;
    }
    if (update) {
      writeFileSync(INSTRUCTIONS_FILE, JSON.stringify(result, null, 2) + '\n');
      log(`wrote ${path.relative(process.cwd(), INSTRUCTIONS_FILE)}: commit it`);
      return 0;
    }
    const committed = readJson<InstructionsData>(INSTRUCTIONS_FILE);
    if (!committed) {
      log(
        `no ${path.relative(process.cwd(), INSTRUCTIONS_FILE)}: run \`npm run bench:gate -- --update\` and commit it`,
      );
      return 1;
    }
    if (committed.node !== process.version) {
      log(
        `note: the committed figures were measured on node ${committed.node}, this is ${process.version}; ` +
          'V8 changes move instruction counts',
      );
    }
    let failed = false;
    for (const id of ids) {
      const want = committed.scenarios[id];
      const got = measured[id]!;
      if (!want) {
        log(`${id}: no committed figure; run with --update to add it`);
        failed = true;
        continue;
      }
      const ratio = got.main / want.main;
      const verdict =
        ratio > 1 + TOLERANCE
          ? 'REGRESSION'
          : ratio < 1 - TOLERANCE
            ? 'improved (update the committed figure: --update)'
            : 'ok';
      process.stdout.write(
        `${id.padEnd(14)} ${fmt(got.main)} vs committed ${fmt(want.main)}: ` +
          `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}% (limit ` +
          `+${(TOLERANCE * 100).toFixed(0)}%) ${verdict}\n`,
      );
      if (ratio > 1 + TOLERANCE) failed = true;
    }
    return failed ? 1 : 0;
  } finally {
    await stopAll();
    if (keep) log(`kept the dumps in ${path.join(work, 'callgrind')}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench:gate failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
