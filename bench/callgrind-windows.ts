/**
 * Instructions per request of one server, window by window, split into the garbage collector's share
 * and the rest (the mutator: JavaScript, the runtime, I/O calls). For A/B comparisons of a hot-path
 * change: run it in a worktree of each commit, one after the other, and compare the medians; the
 * mutator figure does not carry the GC's swings (a major GC lands in one window and not the next).
 *
 *   npx tsx bench/callgrind-windows.ts sy-production [windows=5] [requests=200] [--json=out.json]
 *
 * Same server specs, warm-up (3000 requests at concurrency 4) and windows (one request at a time) as
 * `npm run bench:gate` (bench/callgrind.ts). Timer-driven work (the SQLite ledger's flush every second,
 * log and counter flushes) runs per second of wall-clock time, and a window under valgrind lasts longer
 * on a busier machine: compare runs taken under similar load (docs/benchmarks.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { breakdown } from './callgrind-breakdown.js';
import {
  CALLGRIND_NODE_FLAGS,
  measureWindow,
  sendRequests,
  startUnderCallgrind,
  stopCallgrindServer,
} from './callgrind.js';
import {
  argValue,
  BENCH_DIR,
  compiledPath,
  freePort,
  HOST,
  installCleanup,
  prepareEntries,
  spawnNode,
  stopAll,
  waitForPort,
} from './common.js';
import { serverSpecs, type ServerId } from './servers.js';

const GC = 'garbage collector';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const [id, windowsArg, requestsArg] = argv.filter((a) => !a.startsWith('--')) as [ServerId, string?, string?];
  const windows = Number(windowsArg ?? 5);
  const requests = Number(requestsArg ?? 200);
  const jsonOut = argValue(argv, 'json');
  installCleanup();
  const work = mkdtempSync(path.join(os.tmpdir(), 'switchyard-cg-windows-'));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    await prepareEntries(
      ['upstream.ts', 'floor.ts', 'gateway.ts'].map((f) => path.join(BENCH_DIR, f)),
      log,
    );
    const upstreamPort = await freePort();
    const upstream = spawnNode(path.join(BENCH_DIR, 'upstream.ts'), [`--port=${upstreamPort}`], {
      logFile: path.join(work, 'upstream.log'),
    });
    await waitForPort(upstreamPort, 30_000, upstream);
    const spec = serverSpecs({ upstreamOrigin: `http://${HOST}:${upstreamPort}`, workDir: work })[id];
    if (!spec) throw new Error(`unknown server "${id}"`);
    const port = await freePort();
    const server = await startUnderCallgrind({
      nodeArgs: [...CALLGRIND_NODE_FLAGS, compiledPath(spec.script), ...spec.args(port)],
      port,
      env: spec.env,
      cwd: spec.cwd,
      outDir: path.join(work, 'callgrind'),
      name: spec.id,
    });
    const req = { model: spec.model, authorization: spec.authorization };
    const rows: Array<{ main: number; gc: number; mutator: number; seconds: number }> = [];
    try {
      await sendRequests(port, 3000, req, 4);
      for (let w = 1; w <= windows; w++) {
        const t0 = performance.now();
        const r = await measureWindow(server, requests, req);
        const gc = r.mainFile ? (breakdown([r.mainFile])[GC] ?? 0) : 0;
        const row = {
          main: Math.round(r.raw.main / requests),
          gc: Math.round(gc / requests),
          mutator: Math.round((r.raw.main - gc) / requests),
          seconds: Math.round((performance.now() - t0) / 1000),
        };
        rows.push(row);
        process.stdout.write(
          `${id} window ${w}: main ${row.main} gc ${row.gc} mutator ${row.mutator} (${row.seconds} s, load ` +
            `${os.loadavg()[0].toFixed(1)})\n`,
        );
      }
    } finally {
      await stopCallgrindServer(server);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const summary = {
      id,
      date: new Date().toISOString(),
      requests,
      main: median(rows.map((r) => r.main)),
      mutator: median(rows.map((r) => r.mutator)),
      windows: rows,
    };
    process.stdout.write(`${id} median: main ${summary.main}, mutator ${summary.mutator}\n`);
    if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`callgrind-windows failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
