/**
 * Shared helpers for the benchmark: free ports, spawning server processes as compiled JavaScript,
 * waiting for a port, reading RSS and CPU time from /proc, and killing every child we started (even
 * on error).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** bench/, also when this module runs bundled from bench/.build/. */
export const BENCH_DIR = path.basename(HERE) === '.build' ? path.dirname(HERE) : HERE;
export const ROOT = path.resolve(BENCH_DIR, '..');
export const DEPS_DIR = path.join(BENCH_DIR, '.deps');
export const HOST = '127.0.0.1';
/** The client key Switchyard's "all" scenario accepts (sent as Authorization: Bearer). */
export const BENCH_CLIENT_KEY = 'sk-bench-client-0123456789abcdef';

/** A port that was free a moment ago, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolve once something accepts TCP connections on the port (or reject after timeoutMs). */
export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, HOST);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${HOST}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const children = new Set<ChildProcess>();

/** Where compiled bench entry points go (git-ignored). */
export const BUILD_DIR = path.join(BENCH_DIR, '.build');
/** BENCH_TSX=1 runs every process through the tsx loader instead (as `node --import tsx`). */
export const USE_TSX = process.env.BENCH_TSX === '1';

/**
 * Compile Switchyard (`tsc -p tsconfig.build.json` into dist/, what the npm package ships) once per
 * bench run, so that servers run as plain JavaScript without the tsx loader thread (~30 MiB RSS and
 * a little CPU), as a production deployment would.
 */
let distBuilt = false;
export function buildDist(log: (s: string) => void): void {
  if (USE_TSX || distBuilt) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  log('compiling Switchyard into dist/ (tsc -p tsconfig.build.json)');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  distBuilt = true;
}

/**
 * A bench entry point (bench/*.ts) as one ESM file in bench/.build: the bench's own modules are
 * bundled by esbuild, npm packages stay external, and imports of Switchyard's sources (index.ts,
 * core/, plugins/) are pointed at the compiled dist/ files, so the gateway under test is exactly
 * what `npm run build` ships.
 */
const compiledEntries = new Map<string, string>();
export async function compileEntry(script: string): Promise<string> {
  const hit = compiledEntries.get(script);
  if (hit) return hit;
  const esbuild = await import('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  const outfile = path.join(BUILD_DIR, path.basename(script).replace(/\.ts$/, '.mjs'));
  const benchPrefix = BENCH_DIR + path.sep;
  await esbuild.build({
    entryPoints: [script],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'switchyard-dist',
        setup(build) {
          build.onResolve({ filter: /^\.\.?\// }, (args) => {
            const abs = path.resolve(args.resolveDir, args.path);
            if (abs.startsWith(benchPrefix)) return undefined;
            const rel = path.relative(ROOT, abs).replace(/\.ts$/, '.js');
            return { path: path.join(ROOT, 'dist', rel), external: true };
          });
        },
      },
    ],
  });
  compiledEntries.set(script, outfile);
  return outfile;
}

/** Compile every bench entry point a run spawns (before timing anything). */
export async function prepareEntries(scripts: string[], log: (s: string) => void): Promise<void> {
  if (USE_TSX) return;
  buildDist(log);
  for (const s of scripts) await compileEntry(s);
}

/**
 * Spawn `node [nodeArgs] script args`, tracked for cleanup; output to logFile. A .ts script runs as
 * its compiled bundle (see prepareEntries), or through tsx when BENCH_TSX=1 or `tsx: true`.
 */
export function spawnNode(
  script: string,
  args: string[],
  opts: {
    logFile?: string;
    nodeArgs?: string[];
    env?: NodeJS.ProcessEnv;
    tsx?: boolean;
    stdout?: 'pipe';
    /** `env` is the whole environment (not added to the bench's own). */ replaceEnv?: boolean;
    cwd?: string;
  } = {},
): ChildProcess {
  const out = opts.stdout === 'pipe' ? 'pipe' : opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const err = opts.logFile ? openSync(opts.logFile, 'a') : 'inherit';
  const stdio: StdioOptions = ['ignore', out, err];
  const tsx = opts.tsx ?? (USE_TSX || (script.endsWith('.ts') && !compiledEntries.has(script)));
  const entry = !tsx && compiledEntries.get(script) ? compiledEntries.get(script)! : script;
  const nodeArgs = [...(opts.nodeArgs ?? []), ...(tsx ? ['--import', 'tsx'] : [])];
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    cwd: opts.cwd ?? ROOT,
    stdio,
    env: opts.replaceEnv ? opts.env : { ...process.env, ...opts.env },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Track a child started elsewhere, so that stopAll() and the exit handlers stop it too. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** The file node runs for a bench script: its compiled bundle when there is one (see prepareEntries). */
export function compiledPath(script: string): string {
  return compiledEntries.get(script) ?? script;
}

/** Ask a child to stop (SIGTERM), then SIGKILL it after graceMs. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

/** Synchronous last resort, for process 'exit'. */
export function killAllSync(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

let installed = false;
/** Kill every child on exit, Ctrl-C, SIGTERM and uncaught errors. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
}

/** Resident set size of a process in MiB (VmRSS), or NaN if it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state=0 ... utime=11, stime=12
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Percentile of an ascending-sorted array (nearest rank). */
/** The median of the finite values of `xs` (the mean of the middle two for an even count); NaN if none. */
export function median(xs: readonly number[]): number {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const mid = a.length >> 1;
  return a.length % 2 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Whether a command is on the PATH. */
export function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `--name=value` / `--flag` from argv. */
export function argValue(argv: string[], name: string): string | undefined {
  const hit = argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!hit) return undefined;
  const eq = hit.indexOf('=');
  return eq === -1 ? 'true' : hit.slice(eq + 1);
}
