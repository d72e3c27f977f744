/**
 * The `switchyard` command: start a gateway from a config file (or the environment alone), or check
 * a config and print the resolved setup. Config mistakes print one message and exit 1 before listening.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SwitchyardConfig } from './config-types.js';
import { createGateway, type SwitchyardGateway } from './gateway.js';
import { maskSecret } from './mask.js';

const HELP = `switchyard: a programmable AI API gateway

Usage:
  switchyard start [--config FILE] [--port N] [--host HOST]   run the gateway (default 127.0.0.1:4000)
  switchyard check [--config FILE]                           validate the config and print the resolved setup
  switchyard --help                                          show this help

Without --config, ./switchyard.config.ts (or .mts/.js/.mjs) is used if present; otherwise every
provider whose API key is in the environment is enabled (OPENAI_API_KEY, GROQ_API_KEY, ...).
Client keys can come from SWITCHYARD_API_KEYS (comma-separated). Docs: docs/configuration.md`;

const CANDIDATES = ['switchyard.config.ts', 'switchyard.config.mts', 'switchyard.config.js', 'switchyard.config.mjs'];

export async function loadConfig(file?: string): Promise<{ config: SwitchyardConfig; source: string }> {
  let path: string | undefined;
  if (file) {
    path = resolve(file);
    if (!existsSync(path)) throw new Error(`Config file not found: ${path}`);
  } else {
    path = CANDIDATES.map((c) => resolve(c)).find((c) => existsSync(c));
  }
  if (!path) return { config: {}, source: 'environment (no config file)' };
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (e) {
    throw new Error(`Could not load ${path}: ${(e as Error).message}`);
  }
  const config = mod.default;
  if (config === undefined) throw new Error(`${path} has no default export. Export \`defineConfig({ ... })\` as default.`);
  return { config: config as SwitchyardConfig, source: path };
}

function describe(gw: SwitchyardGateway, source: string): string {
  const c = gw.config;
  const lines = [
    `config:    ${source}`,
    `runtime:   ${import.meta.url.includes('/dist/') ? 'compiled JavaScript (dist/)' : 'TypeScript sources through tsx'}`,
    `server:    ${c.server.tls ? 'https' : 'http'}://${c.server.host}:${c.server.port}${c.server.prefix}  (body limit ${c.server.bodyLimit} bytes)`,
    `auth:      ${gw.hooks.auth.isUsed() ? gw.hooks.auth.taps.map((t) => t.name).join(', ') : 'none (loopback only)'}`,
    'providers:',
    ...gw.providers.list().map((p) => {
      const d = p.describe?.() ?? {};
      const models = p.models().map((m) => m.id);
      return `  - ${p.name}  ${Object.entries(d).map(([k, v]) => `${k}=${v}`).join('  ')}\n    models: ${models.join(', ') || '(any, as provider/model)'}`;
    }),
    `aliases:   ${Object.entries(c.routing?.aliases ?? {}).map(([k, v]) => `${k} -> ${[v].flat().join(' | ')}`).join('; ') || 'none'}`,
    `failover:  ${c.failover === false ? 'off' : JSON.stringify({ retries: 1, backoffMs: 200, maxBackoffMs: 2000, ...c.failover })}`,
    `cache:     ${c.cache ? JSON.stringify(c.cache) : 'off'}`,
    `meter:     ${c.meter === false ? 'off' : 'on'}`,
    `plugins:   ${c.plugins.map((p) => p.name).join(', ') || 'none'}`,
  ];
  if (c.auth) lines.push(`keys:      ${c.auth.keys.map((k) => (typeof k === 'string' ? maskSecret(k) : k.id ?? maskSecret(k.key))).join(', ')}`);
  return lines.join('\n');
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`switchyard: ${(e as Error).message}\n\n${HELP}\n`);
    return 1;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === 'help' || !command) {
    process.stdout.write(HELP + '\n');
    return command || values.help ? 0 : 1;
  }
  if (command !== 'start' && command !== 'check') {
    process.stderr.write(`switchyard: unknown command "${command}"\n\n${HELP}\n`);
    return 1;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`switchyard: --port must be a port number (got "${values.port}")\n`);
      return 1;
    }
  }

  let gw: SwitchyardGateway;
  let source: string;
  try {
    const loaded = await loadConfig(values.config);
    source = loaded.source;
    gw = await createGateway(loaded.config);
  } catch (e) {
    process.stderr.write(`switchyard: ${(e as Error).message}\n`);
    return 1;
  }

  if (command === 'check') {
    gw.log.level = 'warn'; // the report is the output; no JSON log lines after it
    process.stdout.write(describe(gw, source) + '\nconfig OK\n');
    await gw.close();
    return 0;
  }

  try {
    const { url } = await gw.listen({ port, host: values.host });
    process.stderr.write(`switchyard listening on ${url} (providers: ${gw.providers.list().map((p) => p.name).join(', ') || 'none'})\n`);
  } catch (e) {
    process.stderr.write(`switchyard: ${(e as Error).message}\n`);
    await gw.close();
    return 1;
  }

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`switchyard: ${signal} again, exiting now\n`);
        resolveExit(1);
        return;
      }
      stopping = true;
      process.stderr.write(`switchyard: ${signal} received, finishing in-flight requests\n`);
      gw.close().then(() => resolveExit(0), () => resolveExit(1));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
