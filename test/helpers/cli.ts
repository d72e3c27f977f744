/** Run the real `switchyard` CLI as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));

/** Where and how to run it: another copy of the command (an installed package's bin), another
 * working directory, and the compiled build instead of the sources. */
export interface CliOptions {
  bin?: string;
  cwd?: string;
  /** Run the TypeScript sources (default), the compiled build (false: SWITCHYARD_TSX=0), or let the
   * command choose as it does for a user ('auto': no SWITCHYARD_TSX). */
  sources?: boolean | 'auto';
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run to completion. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  opts: CliOptions = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], {
      env: { ...cleanEnv(opts.sources), ...env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningCli {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `switchyard start ...` and resolve once it prints its URL. */
export function startCli(args: string[], env: Record<string, string> = {}, opts: CliOptions = {}): Promise<RunningCli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, 'start', ...args], {
      env: { ...cleanEnv(opts.sources), ...env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1],
          stdout: () => stdout,
          stderr: () => stderr,
          stop: async (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    // A deadline, not a pace: start-up takes 10-15 s from the sources on a loaded 2-core machine.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not start: ${stderr}`));
    }, 60_000);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited with ${code}: ${stderr}`));
    });
  });
}

/** The parent's environment without provider keys, so tests do not depend on the machine. */
export function cleanEnv(sources: boolean | 'auto' = true): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/_API_KEY$|_BASE_URL$|^AWS_|^AZURE_|^GOOGLE_|^VERTEX_|^SWITCHYARD_/.test(k)) continue;
    if (k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') continue;
    out[k] = v;
  }
  // Test the TypeScript sources, not a dist/ build that may be older than them (the tests of the
  // compiled build and of the installed package ask for it).
  if (sources !== 'auto') out.SWITCHYARD_TSX = sources ? '1' : '0';
  return out;
}
