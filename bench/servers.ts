/**
 * How each server under test is started: the floors and Switchyard's configurations, as a node
 * command line, environment and working directory. `npm run bench` (bench/run.ts) starts them as
 * plain processes; `npm run bench:gate` (bench/gate.ts) starts them under callgrind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BENCH_CLIENT_KEY, BENCH_DIR, freePort, HOST, prepareEntries, ROOT, spawnNode, waitForPort } from './common.js';
import { BENCH_MODEL } from './scenarios.js';

export type ServerId =
  | 'floor'
  | 'json-floor'
  | 'streaming-passthrough'
  | 'sy-zero'
  | 'sy-production'
  | 'sy-all'
  | 'sy-production-ts'
  | 'sy-production-ts-arenas';

export interface ServerSpec {
  id: ServerId;
  label: string;
  /** What the process is, for the reader. */
  process: string;
  /** The entry point: a bench .ts file (run compiled, see common.ts) or bin/switchyard.js. */
  script: string;
  args: (port: number) => string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  model: string;
  /** The whole Authorization header value the client sends, if any. */
  authorization?: string;
}

/** Environment variables that would switch on other providers or change Switchyard's setup. */
const FOREIGN = /(_API_KEY|_BASE_URL|_ENDPOINT)$|^(SWITCHYARD_|AWS_|GOOGLE_|VERTEX_|AZURE_|BENCH_LEDGER)/;

/** The bench's environment without provider keys or Switchyard settings, plus `extra`. */
export function serverEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!FOREIGN.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export interface ServerOptions {
  /** The emulated upstream's origin, e.g. http://127.0.0.1:9000 */
  upstreamOrigin: string;
  /** A scratch directory (ledgers, the empty working directory of the zero-config CLI). */
  workDir?: string;
}

export function serverSpecs(o: ServerOptions): Record<ServerId, ServerSpec> {
  const work = o.workDir ?? mkdtempSync(path.join(tmpdir(), 'switchyard-bench-'));
  const openaiEnv = (ledger?: string) =>
    serverEnv({
      OPENAI_API_KEY: 'sk-bench-upstream',
      OPENAI_BASE_URL: `${o.upstreamOrigin}/v1`,
      ...(ledger
        ? {
            BENCH_LEDGER_PATH: path.join(
              work,
              `${ledger}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.db`,
            ),
          }
        : {}),
    });
  // `switchyard start` with no config file in its working directory: zero-config.
  const emptyDir = mkdtempSync(path.join(work, 'empty-'));
  const cli = path.join(ROOT, 'bin', 'switchyard.js');
  const gateway = path.join(BENCH_DIR, 'gateway.ts');
  const auth = `Bearer ${BENCH_CLIENT_KEY}`;
  const specs: Record<Exclude<ServerId, 'sy-production-ts-arenas'>, ServerSpec> = {
    floor: {
      id: 'floor',
      label: 'floor: buffered pass-through',
      process:
        'bench/floor.ts: node:http, whole body read, forwarded with Content-Length over an undici Pool, ' +
        'answer written back in one write (SSE relayed chunk by chunk)',
      script: path.join(BENCH_DIR, 'floor.ts'),
      args: (p) => [`--port=${p}`, `--upstream=${o.upstreamOrigin}`],
      env: serverEnv(),
      model: BENCH_MODEL,
    },
    'json-floor': {
      id: 'json-floor',
      label: 'JSON floor: the floor + JSON work',
      process:
        'bench/floor.ts --json: the floor, plus the request body parsed, its model checked and the body ' +
        'serialised again for the upstream, and a buffered answer parsed for its usage',
      script: path.join(BENCH_DIR, 'floor.ts'),
      args: (p) => [`--port=${p}`, `--upstream=${o.upstreamOrigin}`, '--json'],
      env: serverEnv(),
      model: BENCH_MODEL,
    },
    'streaming-passthrough': {
      id: 'streaming-passthrough',
      label: 'streaming pass-through (old floor)',
      process:
        'bench/streaming-passthrough.ts: node:http + undici Agent, request body streamed upstream ' +
        '(chunked), headers flushed apart, answer piped back',
      script: path.join(BENCH_DIR, 'streaming-passthrough.ts'),
      args: (p) => [`--port=${p}`, `--upstream=${o.upstreamOrigin}`],
      env: serverEnv(),
      model: BENCH_MODEL,
    },
    'sy-zero': {
      id: 'sy-zero',
      label: 'Switchyard: zero-config',
      process:
        '`switchyard start` (compiled build) in an empty directory with OPENAI_API_KEY and OPENAI_BASE_URL: ' +
        'openai provider, default plugins (router, failover + breakers, catalog, meter + log line), logs at ' +
        'info to a file',
      script: cli,
      args: (p) => ['start', '--port', String(p), '--host', HOST],
      env: openaiEnv(),
      cwd: emptyDir,
      model: BENCH_MODEL,
    },
    'sy-production': {
      id: 'sy-production',
      label: 'Switchyard: production',
      process:
        'bench/gateway.ts --scenario=production (compiled build): zero-config + virtual key with budget and ' +
        'RPM limit, SQLite ledger, exact cache (miss path), /metrics',
      script: gateway,
      args: (p) => ['--scenario=production', `--port=${p}`],
      env: openaiEnv('production'),
      model: BENCH_MODEL,
      authorization: auth,
    },
    'sy-all': {
      id: 'sy-all',
      label: 'Switchyard: all plugins',
      process:
        'bench/gateway.ts --scenario=all (compiled build): production + TPM/concurrency limits, project and ' +
        'global budgets, semantic cache tier, static keys, dashboard',
      script: gateway,
      args: (p) => ['--scenario=all', `--port=${p}`],
      env: openaiEnv('all'),
      model: BENCH_MODEL,
      authorization: auth,
    },
    'sy-production-ts': {
      id: 'sy-production-ts',
      label: 'Switchyard: production, .ts config via CLI',
      process:
        '`switchyard start --config bench/production.config.ts`: the production config as a TypeScript ' +
        'file (the CLI bundles the config with esbuild and runs the compiled build, no loader in the process)',
      script: cli,
      args: (p) => [
        'start',
        '--config',
        path.join(BENCH_DIR, 'production.config.ts'),
        '--port',
        String(p),
        '--host',
        HOST,
      ],
      env: openaiEnv('production-ts'),
      model: BENCH_MODEL,
      authorization: auth,
    },
  };
  // The same command with glibc limited to two malloc arenas, as deploy/ runs it (docs/operations.md):
  // V8 compiles undici's llhttp parser with TurboFan on a worker thread after the first requests, and
  // that thread's own arena kept ~10 MiB of the compile's memory in about a third of the starts.
  const ts = specs['sy-production-ts'];
  return {
    ...specs,
    'sy-production-ts-arenas': {
      ...ts,
      id: 'sy-production-ts-arenas',
      label: `${ts.label}, MALLOC_ARENA_MAX=2`,
      process: `${ts.process}; MALLOC_ARENA_MAX=2 in its environment, as deploy/ runs it`,
      env: { ...openaiEnv('production-ts-arenas'), MALLOC_ARENA_MAX: '2' },
    },
  };
}

export interface BenchUpstream {
  /** The emulated upstream's process, its port and origin (http://127.0.0.1:PORT). */
  child: ChildProcess;
  port: number;
  origin: string;
  /** Every server's spec, pointed at this upstream. */
  specs: ReturnType<typeof serverSpecs>;
}

/**
 * The start every bench script shares: compile `entries` (bench/*.ts file names; upstream.ts is added) and
 * dist/, start the emulated upstream with `upstreamArgs` (its log in `workDir`), and return the server specs
 * pointed at it.
 */
export async function startBenchUpstream(
  workDir: string,
  entries: string[],
  log: (s: string) => void,
  upstreamArgs: string[] = [],
): Promise<BenchUpstream> {
  const files = [...new Set(['upstream.ts', ...entries])].map((f) => path.join(BENCH_DIR, f));
  await prepareEntries(files, log);
  const port = await freePort();
  const child = spawnNode(path.join(BENCH_DIR, 'upstream.ts'), [`--port=${port}`, ...upstreamArgs], {
    logFile: path.join(workDir, 'upstream.log'),
  });
  await waitForPort(port, 30_000, child);
  const origin = `http://${HOST}:${port}`;
  return { child, port, origin, specs: serverSpecs({ upstreamOrigin: origin, workDir }) };
}
