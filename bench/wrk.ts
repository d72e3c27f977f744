/**
 * The load generator: Debian's `wrk` (C, epoll, one thread) with bench/wrk.lua building a unique POST
 * body per request. It costs a small fraction of the CPU a Node load generator would, so the server
 * under test keeps most of the machine. Installed with apt-get when missing (root only).
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { BENCH_DIR, onPath } from './common.js';

export interface WrkSpec {
  url: string; // origin, e.g. http://127.0.0.1:4000
  model: string;
  stream: boolean;
  concurrency: number;
  durationS: number; // whole seconds (wrk's resolution)
  /** Extra request headers (Content-Type is always application/json). */
  headers?: Record<string, string>;
  threads?: number;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  bytes: number;
  /** Failed requests: socket errors, timeouts and HTTP statuses > 399. */
  errors: number;
  errorDetail: { connect: number; read: number; write: number; status: number; timeout: number };
  /** ms, whole request (a stream: until its last byte), from wrk's microsecond histogram. */
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
}

export const WRK_SCRIPT = path.join(BENCH_DIR, 'wrk.lua');

/** Make sure `wrk` is installed (apt-get install -y wrk when missing and we may). */
export function ensureWrk(log: (s: string) => void): void {
  if (onPath('wrk')) return;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new Error('wrk is not installed: install it (Debian/Ubuntu: apt-get install -y wrk) and run again');
  }
  log('installing wrk (apt-get install -y wrk)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit', env });
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit', env });
  }
}

/**
 * One wrk run. `onStart` fires right after the process is spawned and `onEnd` as soon as it exits
 * (before its output is parsed), so the caller can bracket the server's CPU time around the run.
 */
export function runWrk(spec: WrkSpec, hooks: { onStart?: () => void; onEnd?: () => void } = {}): Promise<WrkResult> {
  const args = [
    `-t${spec.threads ?? 1}`,
    `-c${spec.concurrency}`,
    `-d${Math.max(1, Math.round(spec.durationS))}s`,
    '--timeout',
    '10s',
    '-s',
    WRK_SCRIPT,
    spec.url,
    '--',
    spec.model,
    spec.stream ? 'stream' : 'plain',
    ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    hooks.onStart?.();
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      hooks.onEnd?.();
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk failed (exit ${code}): ${(err || out).trim().slice(0, 400)}`));
        return;
      }
      const raw = JSON.parse(line.slice('WRK_RESULT '.length)) as {
        requests: number;
        durationUs: number;
        bytes: number;
        errors: WrkResult['errorDetail'];
        latencyUs: { p50: number; p90: number; p99: number; mean: number; max: number };
      };
      const seconds = raw.durationUs / 1e6;
      const e = raw.errors;
      // No completed request: wrk reports its empty histogram as zeros, which are not latencies.
      const ms = (us: number) => (raw.requests ? us / 1000 : NaN);
      resolve({
        requests: raw.requests,
        seconds,
        rps: raw.requests / seconds,
        bytes: raw.bytes,
        errors: e.connect + e.read + e.write + e.status + e.timeout,
        errorDetail: e,
        latency: {
          p50: ms(raw.latencyUs.p50),
          p90: ms(raw.latencyUs.p90),
          p99: ms(raw.latencyUs.p99),
          mean: ms(raw.latencyUs.mean),
          max: ms(raw.latencyUs.max),
        },
      });
    });
  });
}
