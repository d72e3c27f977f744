/**
 * Resident memory of `switchyard start` by config language, through the real command: the quickstart
 * (`npm start`, a .ts config) and the same file as .mjs, a minimal mock config as .ts and as .mjs, and
 * the quickstart as it ran before configs were compiled alone (the whole gateway under the tsx loader,
 * SWITCHYARD_TSX=1). RSS right after the gateway listens and one request, then after --idle seconds
 * without traffic (V8's memory reducer runs 20-60 s into idleness, not always: single readings vary by
 * ±20 MiB, so each case runs --rounds times side by side and the median is reported).
 *
 *   npx tsx bench/config-memory.ts [--idle=60] [--rounds=3]      (needs the build: npm run build)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argValue, installCleanup, ROOT, rssMiB, sleep } from './common.js';

const idleS = Number(argValue(process.argv.slice(2), 'idle') ?? 60);
const rounds = Number(argValue(process.argv.slice(2), 'rounds') ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const BIN = path.join(ROOT, 'bin', 'switchyard.js');
const QUICKSTART = path.join(ROOT, 'examples', 'quickstart', 'switchyard.config.ts');
const MINIMAL =
  `import { defineConfig, mock } from 'switchyard-gateway';\n` +
  `export default defineConfig({ server: { port: 0 }, providers: [mock()], logging: { level: 'warn' } });\n`;

interface Case {
  label: string;
  config: string;
  tsx: boolean;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'switchyard-config-memory-'));
// The quickstart as .mjs, next to the original so that its relative import still points into the repo.
const quickstartMjs = path.join(ROOT, 'examples', 'quickstart', `.config-memory-${process.pid}.mjs`);
copyFileSync(QUICKSTART, quickstartMjs);
writeFileSync(path.join(work, 'minimal.config.ts'), MINIMAL);
writeFileSync(path.join(work, 'minimal.config.mjs'), MINIMAL);

const cases: Case[] = [
  { label: 'quickstart, .ts config (npm start)', config: QUICKSTART, tsx: false },
  { label: 'quickstart, the same file as .mjs', config: quickstartMjs, tsx: false },
  { label: 'quickstart, .ts, gateway under tsx (before)', config: QUICKSTART, tsx: true },
  { label: 'minimal mock config, .ts', config: path.join(work, 'minimal.config.ts'), tsx: false },
  { label: 'minimal mock config, .mjs', config: path.join(work, 'minimal.config.mjs'), tsx: false },
];

function start(c: Case, i: number): Promise<{ child: ChildProcess; url: string }> {
  const cwd = mkdtempSync(path.join(work, `run-${i}-`));
  const child = spawn(process.execPath, [BIN, 'start', '--config', c.config, '--port', '0'], {
    cwd,
    env: { ...process.env, SWITCHYARD_TSX: c.tsx ? '1' : '0', SWITCHYARD_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`${c.label}: exited ${code}: ${err}`)));
  });
}

installCleanup();
const running: ChildProcess[] = [];
try {
  const started: Array<{ child: ChildProcess; url: string; case: number }> = [];
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      const s = await start(c, r * cases.length + i); // one at a time: start-up is CPU-bound
      running.push(s.child);
      started.push({ ...s, case: i });
    }
  }
  const atStart: number[] = [];
  for (const s of started) {
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: hello' }] }),
    });
    if (!res.ok) throw new Error(`request failed: ${res.status} ${await res.text()}`);
    atStart.push(rssMiB(s.child.pid!));
  }
  process.stderr.write(`idle for ${idleS} s\n`);
  await sleep(idleS * 1000);
  const idle = started.map((s) => rssMiB(s.child.pid!));
  const of = (xs: number[], i: number) => {
    const mine = xs.filter((_, j) => started[j]!.case === i);
    return `${median(mine).toFixed(1)} (${Math.min(...mine).toFixed(0)}–${Math.max(...mine).toFixed(0)})`;
  };
  const rows = cases.map((c, i) => `| ${c.label} | ${of(atStart, i)} | ${of(idle, i)} |`);
  process.stdout.write(
    [
      `Node ${process.version}, ${os.cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}; ` +
        `RSS (VmRSS) of \`switchyard start\`, median of ${rounds} processes (range).`,
      '',
      `| Config | RSS after start and one request (MiB) | RSS after ${idleS} s idle (MiB) |`,
      '|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  for (const child of running) child.kill('SIGTERM');
  rmSync(quickstartMjs, { force: true });
  await sleep(500);
  rmSync(work, { recursive: true, force: true });
}
