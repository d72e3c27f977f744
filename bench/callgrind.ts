/**
 * Instructions per request, counted by valgrind's callgrind on the server process: stable on a busy
 * machine (it counts work, not time), so it can gate regressions where timings cannot.
 *
 * How one measurement goes:
 *   1. the server runs under `valgrind --tool=callgrind --instr-atstart=no` (instrumentation off: it
 *      starts and warms up at valgrind's plain speed), with the normal JIT;
 *   2. `warmup` requests (four at a time), so the JIT has compiled the hot path;
 *   3. `callgrind_control --zero` and `--instr=on`;
 *   4. `requests` requests, one at a time (concurrency 1: no batching of writes between requests, so
 *      each request pays its own way, and the count does not depend on timing);
 *   5. `--instr=off`, `--dump`;
 *   6. instructions per request = the dump's total / `requests`. All threads are counted (GC helpers,
 *      libuv's pool, the SQLite ledger's writes).
 * Several windows in one server give the spread. A window pays for the collections that fall into it:
 * the old generation's come every few windows and can nearly double one window's count (production:
 * 0.58-0.73 million instructions per request, and one window of 1.16 million), so the gate takes the
 * median of ten windows. A full GC before each window was tried: it also drops compiled code, and the
 * windows after it counted 1.5x more even after 200 further requests.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { compiledPath, freePort, HOST, onPath, trackChild, waitForPort } from './common.js';
import { breakdown, topFunctions } from './callgrind-breakdown.js';
import type { ServerSpec } from './servers.js';

/** valgrind's version string, or undefined when it (or callgrind_control) is missing. */
export function valgrindVersion(): string | undefined {
  if (!onPath('valgrind') || !onPath('callgrind_control')) return undefined;
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export interface CallgrindServerSpec {
  /** What follows `node` (node flags, script, its arguments); --expose-gc and the preload go first. */
  nodeArgs: string[];
  port: number;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Directory for callgrind's dumps and the server's log. */
  outDir: string;
  name: string;
}

export interface CallgrindServer {
  child: ChildProcess;
  /** valgrind's pid (the process callgrind_control talks to; valgrind runs node in its own process). */
  pid: number;
  port: number;
  outDir: string;
  name: string;
}

function control(pid: number, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('callgrind_control', [...args, String(pid)], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`callgrind_control ${args.join(' ')} ${pid}: ${err.message} ${stdout}${stderr}`.trim()));
      else resolve();
    });
  });
}

export async function startUnderCallgrind(spec: CallgrindServerSpec): Promise<CallgrindServer> {
  mkdirSync(spec.outDir, { recursive: true });
  const log = openSync(path.join(spec.outDir, `${spec.name}.log`), 'a');
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      '--fair-sched=yes',
      `--callgrind-out-file=${path.join(spec.outDir, `${spec.name}.%p.callgrind`)}`,
      process.execPath,
      ...spec.nodeArgs,
    ],
    { cwd: spec.cwd, env: spec.env, stdio: ['ignore', log, log] },
  );
  trackChild(child);
  // Start-up under valgrind takes 10-30 s on a quiet 2-core machine, minutes on a crowded one.
  await waitForPort(spec.port, 600_000, child);
  return { child, pid: child.pid!, port: spec.port, outDir: spec.outDir, name: spec.name };
}

export interface RequestSpec {
  model: string;
  authorization?: string;
  stream?: boolean;
}

let counter = 0;
const tag = `${process.pid}-${Date.now().toString(36)}`;

/** One chat completion with a unique prompt; rejects unless the answer is a 200. */
function post(port: number, spec: RequestSpec, agent: http.Agent): Promise<void> {
  const body = JSON.stringify({
    model: spec.model,
    messages: [{ role: 'user', content: `Benchmark prompt ${tag}-${counter++}: say something short.` }],
    ...(spec.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: HOST,
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        timeout: 120_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(spec.authorization ? { authorization: spec.authorization } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 300) text += d;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}: ${text.slice(0, 300)}`)),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end(body);
  });
}

/** `n` requests over `concurrency` keep-alive connections, each waiting for its answer. */
export async function sendRequests(port: number, n: number, spec: RequestSpec, concurrency = 1): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let left = n;
  const worker = async () => {
    while (left > 0) {
      left--;
      await post(port, spec, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}

/** The files of the dump just written (one per thread, `<name>.<pid>.callgrind.<n>-<thread>`). */
function newDumpFiles(server: CallgrindServer, before: Set<string>): string[] {
  const files = readdirSync(server.outDir).filter(
    (f) => f.startsWith(`${server.name}.${server.pid}.callgrind`) && !before.has(f),
  );
  if (!files.length) throw new Error(`no callgrind dump for ${server.name} (pid ${server.pid}) in ${server.outDir}`);
  return files.map((f) => path.join(server.outDir, f));
}

/** The total instruction count (Ir) of one callgrind dump file. */
export function dumpTotal(file: string): number {
  const text = readFileSync(file, 'utf8');
  const m = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

/** valgrind's thread 1 is the process's main thread: Node's event loop and JavaScript. */
const isMainThread = (file: string) => /-0*1$/.test(file);

export interface Counts {
  /** Instructions on the main thread (the event loop: JavaScript, GC with --single-threaded-gc, I/O calls). */
  main: number;
  /** Instructions on every thread (adds V8's optimizing compiler, libuv's pool, helper threads). */
  all: number;
}

/** Totals of the dump just written, main thread and all threads. */
function readDump(server: CallgrindServer, before: Set<string>): Counts & { mainFile?: string } {
  let main = 0;
  let all = 0;
  let mainFile: string | undefined;
  for (const f of newDumpFiles(server, before)) {
    const n = dumpTotal(f);
    all += n;
    if (isMainThread(f)) {
      main += n;
      mainFile = f;
    }
  }
  return { main, all, mainFile };
}

export interface WindowResult {
  requests: number;
  perRequest: Counts;
  raw: Counts;
  /** The main thread's dump of this window. */
  mainFile?: string;
}

/** One measuring window: counters zeroed, instrumentation on, `requests` requests one at a time, off, dump. */
export async function measureWindow(
  server: CallgrindServer,
  requests: number,
  spec: RequestSpec,
): Promise<WindowResult> {
  const before = new Set(readdirSync(server.outDir));
  await control(server.pid, '--zero');
  await control(server.pid, '--instr=on');
  await sendRequests(server.port, requests, spec);
  await control(server.pid, '--instr=off');
  await control(server.pid, '--dump');
  const { mainFile, ...raw } = readDump(server, before);
  return { requests, raw, mainFile, perRequest: { main: raw.main / requests, all: raw.all / requests } };
}

export async function stopCallgrindServer(server: CallgrindServer): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
}

export interface ScenarioCounts {
  id: string;
  /** Per request, one entry per window (all runs), in order. */
  main: number[];
  all: number[];
  /** How many separate server processes the windows came from. */
  runs: number;
  /** With `breakdown`: main-thread instructions per request by kind of code, and the top native functions. */
  breakdown?: Record<string, number>;
  topNative?: Array<{ name: string; object: string; perRequest: number }>;
}

export interface MeasureOptions {
  warmup: number;
  requests: number;
  windows: number;
  runs: number;
  outDir: string;
  log: (s: string) => void;
  /** Also break the main thread's instructions down by kind of code (bench/callgrind-breakdown.ts). */
  breakdown?: boolean;
}

/**
 * Instructions per request of one server: `runs` processes, each warmed up and then measured over
 * `windows` windows of `requests` requests. The server's script must already be compiled.
 */
export async function measureScenario(spec: ServerSpec, o: MeasureOptions): Promise<ScenarioCounts> {
  const out: ScenarioCounts = { id: spec.id, main: [], all: [], runs: o.runs };
  const req: RequestSpec = { model: spec.model, authorization: spec.authorization };
  const mainFiles: string[] = [];
  for (let run = 1; run <= o.runs; run++) {
    const port = await freePort();
    const t0 = performance.now();
    const server = await startUnderCallgrind({
      nodeArgs: [...CALLGRIND_NODE_FLAGS, compiledPath(spec.script), ...spec.args(port)],
      port,
      env: spec.env,
      cwd: spec.cwd,
      outDir: o.outDir,
      name: spec.id,
    });
    try {
      o.log(
        `${spec.id} run ${run}/${o.runs}: started under callgrind in ` +
          `${((performance.now() - t0) / 1000).toFixed(0)} s; ${o.warmup} warm-up requests`,
      );
      // Warm-up at concurrency 4 (faster under valgrind); the windows go one request at a time.
      await sendRequests(port, o.warmup, req, 4);
      for (let w = 1; w <= o.windows; w++) {
        const r = await measureWindow(server, o.requests, req);
        out.main.push(r.perRequest.main);
        out.all.push(r.perRequest.all);
        if (r.mainFile) mainFiles.push(r.mainFile);
        o.log(
          `  window ${w}/${o.windows}: ${Math.round(r.perRequest.main).toLocaleString('en-US')} ` +
            'instructions per request on the main thread, ' +
            `${Math.round(r.perRequest.all).toLocaleString('en-US')} on all threads ` +
            `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
    } finally {
      await stopCallgrindServer(server);
    }
  }
  if (o.breakdown && mainFiles.length) {
    const requests = mainFiles.length * o.requests;
    out.breakdown = Object.fromEntries(
      Object.entries(breakdown(mainFiles)).map(([k, v]) => [k, Math.round(v / requests)]),
    );
    out.topNative = topFunctions(mainFiles, 30).map((f) => ({
      name: f.name,
      object: f.object,
      perRequest: Math.round(f.instructions / requests),
    }));
  }
  return out;
}

/**
 * Node flags under callgrind. The normal JIT (Ignition, Sparkplug, TurboFan), but
 * - the garbage collector's work stays on the main thread (--single-threaded-gc): with helper
 *   threads the split of GC work between threads varies from run to run;
 * - no memory reducer: it starts GCs when the allocation rate per second of wall-clock time is low,
 *   which under valgrind (50-100x slower) it always is, at moments that depend on the machine's load.
 */
export const CALLGRIND_NODE_FLAGS = ['--single-threaded-gc', '--no-memory-reducer'];
