/**
 * Portkey's open-source gateway, for comparison. Installed on demand into bench/.deps (never a
 * dependency of Switchyard) at a pinned version, with @hono/node-server pinned to the version in
 * Portkey's own lockfile (its Node streaming depends on it).
 *
 * As a library (from run.ts): ensurePortkey() installs it if needed and returns the entry point, or a
 * reason it cannot be used. As a process:
 *
 *   node --import tsx bench/portkey.ts --port=PORT
 *
 * starts Portkey's Node server (build/start-server.js, --headless) with every listen() forced onto
 * 127.0.0.1. Requests are routed to the emulated upstream per request with the headers
 * `x-portkey-provider: openai` and `x-portkey-custom-host: http://127.0.0.1:UPORT/v1` (loopback hosts
 * are in Portkey's default TRUSTED_CUSTOM_HOSTS).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { argValue, DEPS_DIR, HOST } from './common.js';

export const PORTKEY_VERSION = process.env.BENCH_PORTKEY_VERSION ?? '1.15.2';
/** From Portkey's package-lock.json (node_modules/@hono/node-server). */
export const HONO_NODE_SERVER_VERSION = process.env.BENCH_HONO_NODE_SERVER_VERSION ?? '1.13.5';

const PKG_DIR = path.join(DEPS_DIR, 'node_modules', '@portkey-ai', 'gateway');
export const PORTKEY_ENTRY = path.join(PKG_DIR, 'build', 'start-server.js');

export function portkeyHeaders(upstreamBaseURL: string): Record<string, string> {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': upstreamBaseURL,
    authorization: 'Bearer sk-bench-upstream',
  };
}

function installedVersion(name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(path.join(DEPS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

export type PortkeyStatus =
  | { ok: true; entry: string; version: string; honoNodeServer: string }
  | { ok: false; reason: string };

/** Install @portkey-ai/gateway and @hono/node-server (pinned) into bench/.deps unless present. */
export async function ensurePortkey(log: (s: string) => void = () => undefined): Promise<PortkeyStatus> {
  if (process.env.BENCH_NO_PORTKEY) return { ok: false, reason: 'BENCH_NO_PORTKEY is set' };
  const have =
    installedVersion('@portkey-ai/gateway') === PORTKEY_VERSION &&
    installedVersion('@hono/node-server') === HONO_NODE_SERVER_VERSION &&
    !existsSync(path.join(PKG_DIR, 'node_modules', '@hono', 'node-server'));
  if (!have) {
    mkdirSync(DEPS_DIR, { recursive: true });
    // The override makes Portkey itself use the pinned @hono/node-server (npm would otherwise nest
    // a newer one under it, with which Portkey's streaming fails: "TypeError: immutable" headers).
    writeFileSync(
      path.join(DEPS_DIR, 'package.json'),
      JSON.stringify(
        {
          name: 'switchyard-bench-deps',
          private: true,
          overrides: { '@hono/node-server': HONO_NODE_SERVER_VERSION },
        },
        null,
        2,
      ) + '\n',
    );
    log(
      `installing @portkey-ai/gateway@${PORTKEY_VERSION} and @hono/node-server@${HONO_NODE_SERVER_VERSION} ` +
        'into bench/.deps ...',
    );
    const args = [
      'install',
      '--prefix',
      DEPS_DIR,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      `@portkey-ai/gateway@${PORTKEY_VERSION}`,
      `@hono/node-server@${HONO_NODE_SERVER_VERSION}`,
    ];
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile('npm', args, { timeout: 180_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}`.trim() });
      });
    });
    if (result.code !== 0)
      return {
        ok: false,
        reason: `npm install failed (${result.code}): ${result.out.split('\n').slice(-3).join(' | ')}`,
      };
  }
  if (!existsSync(PORTKEY_ENTRY)) return { ok: false, reason: `${PORTKEY_ENTRY} is missing after install` };
  return {
    ok: true,
    entry: PORTKEY_ENTRY,
    version: installedVersion('@portkey-ai/gateway') ?? '?',
    honoNodeServer: installedVersion('@hono/node-server') ?? '?',
  };
}

/** Run Portkey in this process, bound to loopback only. */
async function serve(): Promise<void> {
  const argv = process.argv.slice(2);
  const port = argValue(argv, 'port') ?? '8787';
  // Portkey's server calls listen(port) without a host (all interfaces): pin it to loopback.
  const listen = net.Server.prototype.listen as (this: net.Server, ...a: unknown[]) => net.Server;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    if (typeof args[0] === 'number' || typeof args[0] === 'string') {
      const cb = args.find((a) => typeof a === 'function');
      return listen.call(this, Number(args[0]), HOST, ...(cb ? [cb] : []));
    }
    if (args[0] && typeof args[0] === 'object' && !('fd' in (args[0] as object))) {
      args[0] = { ...(args[0] as object), host: HOST };
    }
    return listen.apply(this, args);
  } as typeof net.Server.prototype.listen;
  process.argv = [process.argv[0], PORTKEY_ENTRY, `--port=${port}`, '--headless'];
  process.once('SIGTERM', () => process.exit(0));
  await import(pathToFileURL(PORTKEY_ENTRY).href);
}

if (argValue(process.argv.slice(2), 'port')) {
  serve().catch((err) => {
    process.stderr.write(`portkey failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
