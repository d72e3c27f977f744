/**
 * Shared setup of the scale-out tests: the local Redis and PostgreSQL (started when stopped, the
 * tests skip with a message only when neither reachable nor startable), a private redis-server on
 * another loopback port for fault tests, a TCP proxy in front of PostgreSQL that a test can cut,
 * and several gateway processes started through the CLI with the scale-out fixture config.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCli, type RunningCli } from '../helpers/cli.js';

export const CONFIG = fileURLToPath(new URL('./fixtures/scaleout.config.ts', import.meta.url));
export const ADMIN = 'admin-key-0123456789abcdef';
export const PG_URL = process.env.SY_TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const REDIS_URL = process.env.SY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 }).status === 0;

/** Reachable, or started with the machine's commands; else a reason to skip. */
export async function services(): Promise<string | undefined> {
  if (!ok('redis-cli', ['-p', '6379', 'ping'])) {
    ok('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ]);
    for (let i = 0; i < 20 && !ok('redis-cli', ['-p', '6379', 'ping']); i++) await sleep(100);
    if (!ok('redis-cli', ['-p', '6379', 'ping']))
      return 'Redis on 127.0.0.1:6379 is not reachable and could not be started (redis-server)';
  }
  if (!ok('pg_isready', ['-h', '127.0.0.1', '-p', '5432'])) {
    try {
      const v = execFileSync('ls', ['/etc/postgresql']).toString().trim().split('\n')[0];
      ok('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start']);
    } catch {
      /* not installed */
    }
    for (let i = 0; i < 30 && !ok('pg_isready', ['-h', '127.0.0.1', '-p', '5432']); i++) await sleep(200);
    if (!ok('pg_isready', ['-h', '127.0.0.1', '-p', '5432']))
      return 'PostgreSQL on 127.0.0.1:5432 is not reachable and could not be started (pg_ctlcluster)';
  }
  return undefined;
}

/** A unique name for this run (Redis prefix, Postgres schema). */
export const runId = (what: string) => `${what}_${process.pid}_${randomBytes(3).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}

export async function dropRedisPrefix(prefix: string, port = 6379): Promise<void> {
  const keys = spawnSync('redis-cli', ['-p', String(port), '--scan', '--pattern', `${prefix}*`])
    .stdout.toString()
    .split('\n')
    .filter(Boolean);
  for (let i = 0; i < keys.length; i += 500)
    spawnSync('redis-cli', ['-p', String(port), 'del', ...keys.slice(i, i + 500)]);
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A redis-server of our own (fault tests never touch the shared one). */
export class OwnRedis {
  child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      if (ok('redis-cli', ['-p', String(this.port), 'ping'])) return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return; // stopped already (a kill leaves exitCode null)
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

/** A TCP proxy to PostgreSQL that can be cut (connections dropped, new ones refused) and restored. */
export class CuttableProxy {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}
  async open(): Promise<void> {
    if (this.#server) return;
    const server = net.createServer((client) => {
      const up = net.connect(this.target.port, this.target.host);
      for (const s of [client, up]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(up).pipe(client);
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }
  async cut(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    for (const sock of this.#sockets) sock.destroy();
    if (s) await new Promise((r) => s.close(r));
  }
}

export interface Instance extends RunningCli {
  name: string;
  get(path: string, key?: string): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  chat(
    key: string,
    body: Record<string, unknown>,
    extraHeaders?: Record<string, string>,
  ): Promise<{ status: number; json: any; headers: Headers; ms: number }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** Start gateway processes (env per instance); if one fails, the others are stopped. */
export async function startInstances(envs: Array<Record<string, string>>): Promise<Instance[]> {
  // One after the other: three processes booting at once on a small CI machine slow down the
  // timing-sensitive tests that run in parallel with this file.
  const runs: Array<PromiseSettledResult<RunningCli>> = [];
  for (const env of envs) {
    runs.push(
      await startCli(['--config', CONFIG, '--port', '0'], env).then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason) => ({ status: 'rejected' as const, reason }),
      ),
    );
    if (runs.at(-1)!.status === 'rejected') break;
  }
  const failed = runs.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(runs.map((r) => (r.status === 'fulfilled' ? r.value.stop('SIGKILL') : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return runs.map((r, i) => instance((r as PromiseFulfilledResult<RunningCli>).value, `gw${i + 1}`));
}

export function instance(r: RunningCli, name: string): Instance {
  return {
    ...r,
    name,
    async get(path, key) {
      const res = await fetch(`${r.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async chat(key, body, extraHeaders = {}) {
      const t0 = performance.now();
      const res = await fetch(`${r.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...extraHeaders },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, ...body }),
      });
      const json = await res.json().catch(() => undefined);
      return { status: res.status, json, headers: res.headers, ms: performance.now() - t0 };
    },
    async admin(method, path, body) {
      const res = await fetch(`${r.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: await res.json().catch(() => undefined) };
    },
  };
}

/** Stop an instance: SIGTERM, then SIGKILL if it has not exited within `ms` (the code says which). */
export async function stopInstance(g: Instance, ms = 15_000): Promise<number | null | 'killed'> {
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'killed'>((r) => {
    timer = setTimeout(() => {
      g.child.kill('SIGKILL');
      r('killed');
    }, ms);
  });
  const code = await Promise.race([g.stop(), killed]);
  clearTimeout(timer);
  return code;
}

export const user = (content: string) => ({ messages: [{ role: 'user', content }] });

/** gpt-4o-mini list prices in picodollars per token (0.15 / 0.6 USD per 1M). */
export const pusdOf = (u: { prompt_tokens: number; completion_tokens: number }) =>
  u.prompt_tokens * 150_000 + u.completion_tokens * 600_000;

export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 20_000, every = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(every);
  }
}
