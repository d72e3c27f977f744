/**
 * The `switchyard` command: start a gateway from a config file (or the environment alone), check a
 * config and print the resolved setup, write a starting config (init), and manage virtual keys on a
 * running gateway (keys). Config mistakes print one message and exit 1 before listening.
 */
import { parseArgs } from 'node:util';
import { initConfig } from './cli-init.js';
import { keysCommand } from './cli-keys.js';
import { loadConfig } from './config-loader.js';
import { createGateway, type SwitchyardConfig, type SwitchyardGateway } from '../index.js';
import { maskSecret } from './mask.js';
import { PACKAGE_NAME, packageVersion, RUNS_COMPILED } from './package-root.js';
import { closest } from './suggest.js';

export { loadConfig };

const HELP = `switchyard: a programmable AI API gateway (${PACKAGE_NAME} ${packageVersion()})

Usage:
  switchyard start [--config FILE] [--port N] [--host HOST]   run the gateway (default 127.0.0.1:4000)
  switchyard check [--config FILE]                           validate the config and print the resolved setup
  switchyard init [--config FILE]                            write a commented switchyard.config.ts to start from
  switchyard keys list                                       list the virtual keys of a running gateway
  switchyard keys create [--name N] [--project P] [--id ID] [--models a,b] [--budget USD[/day|week|month]]
                                                             create a virtual key (the key is printed once)
  switchyard keys revoke ID                                  revoke a virtual key
  switchyard --version, -v                                   print the version
  switchyard --help, -h                                      show this help

Without --config, ./switchyard.config.ts (or .mts/.cts/.js/.mjs/.cjs) is used if present; otherwise every
provider whose API key is in the environment is enabled (OPENAI_API_KEY, GROQ_API_KEY, ...).
Client keys can come from SWITCHYARD_API_KEYS (comma-separated).

keys talks to the admin API of a running gateway (its config needs a governance section):
  --url URL          the gateway, with its prefix if any (default $SWITCHYARD_URL, else http://127.0.0.1:4000)
  --admin-key KEY    the admin key (default $SWITCHYARD_ADMIN_KEY; prefer the variable: flags show in ps)
  --json             print the admin API's JSON answer

Docs: docs/configuration.md (the CLI, every option), docs/governance.md (keys, budgets)`;

/** "mask (redact input: pii, secrets)": ids, actions and check types only (webhook headers may hold secrets). */
type GuardrailPolicy = Exclude<SwitchyardConfig['guardrails'], false | undefined>['policies'][number];
const policyLine = (p: GuardrailPolicy) =>
  `${p.id} (${p.action} ${p.on ?? 'input'}: ${p.checks.map((k) => k.type).join(', ')})`;

function describe(gw: SwitchyardGateway, source: string): string {
  const c = gw.config;
  const failover =
    c.failover === false ? 'off' : JSON.stringify({ retries: 1, backoffMs: 200, maxBackoffMs: 2000, ...c.failover });
  const lines = [
    `config:    ${source}`,
    `runtime:   ${RUNS_COMPILED ? 'compiled JavaScript (dist/)' : 'TypeScript sources through tsx'}`,
    `server:    ${c.server.tls ? 'https' : 'http'}://${c.server.host}:${c.server.port}${c.server.prefix}` +
      `  (body limit ${c.server.bodyLimit} bytes` +
      `${c.server.allocationSitePretenuring ? "; V8's allocation-site pretenuring kept on" : ''})`,
    `auth:      ${gw.hooks.auth.isUsed() ? gw.hooks.auth.taps.map((t) => t.name).join(', ') : 'none (loopback only)'}`,
    'providers:',
    ...gw.providers.list().map((p) => {
      const d = p.describe?.() ?? {};
      const models = p.models().map((m) => m.id);
      return `  - ${p.name}  ${Object.entries(d)
        .map(([k, v]) => `${k}=${v}`)
        .join('  ')}\n    models: ${models.join(', ') || '(any, as provider/model)'}`;
    }),
    `aliases:   ${
      Object.entries(c.routing?.aliases ?? {})
        .map(([k, v]) => `${k} -> ${[v].flat().join(' | ')}`)
        .join('; ') || 'none'
    }`,
    `ingresses: ${pluginIngresses(gw.routes).join(', ')}`,
    `failover:  ${failover}`,
    `cache:     ${c.cache ? JSON.stringify(c.cache) : 'off'}`,
    `meter:     ${c.meter === false ? 'off' : 'on'}`,
    `guardrails: ${c.guardrails ? c.guardrails.policies.map(policyLine).join('; ') : 'off'}`,
    `plugins:   ${c.plugins.map((p) => p.name).join(', ') || 'none'}`,
  ];
  if (c.auth) {
    const keys = c.auth.keys.map((k) => (typeof k === 'string' ? maskSecret(k) : (k.id ?? maskSecret(k.key))));
    lines.push(`keys:      ${keys.join(', ')}`);
  }
  return lines.join('\n');
}

const NO_PROVIDER =
  'warning: no provider is enabled, so every model request will fail with 404 model_not_found. ' +
  'Add one to the config (providers: [openai()], or mock() for simulated models), or set a provider key such as ' +
  'OPENAI_API_KEY in the environment; `switchyard init` writes a config to start from.';

const CLI_OPTIONS = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  name: { type: 'string' },
  project: { type: 'string' },
  id: { type: 'string' },
  models: { type: 'string' },
  budget: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const COMMANDS = ['start', 'check', 'init', 'keys', 'version', 'help'];

/**
 * parseArgs' error as this CLI says it: an unknown option by its name, with the option it is closest to (its
 * own message advises `--` for positionals, which no command here takes); any other error as parseArgs words it.
 */
function argsError(e: Error & { code?: string }, argv: string[]): string {
  if (e.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return e.message;
  const given = argv.find((a) => a.startsWith('-') && e.message.includes(`'${a.split('=')[0]}'`))?.split('=')[0];
  if (!given) return e.message;
  const names = Object.keys(CLI_OPTIONS);
  const near = given.startsWith('--') ? closest(given.slice(2), names) : undefined;
  return `unknown option ${given}${near ? ` (did you mean --${near}?)` : ''}; see switchyard --help.`;
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof CLI_OPTIONS }>>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: CLI_OPTIONS,
    });
  } catch (e) {
    process.stderr.write(`switchyard: ${argsError(e as Error & { code?: string }, argv)}\n\n${HELP}\n`);
    return 1;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.version || command === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (values.help || command === 'help' || !command) {
    process.stdout.write(HELP + '\n');
    return command || values.help ? 0 : 1;
  }
  if (command === 'init') return initConfig(values.config);
  if (command === 'keys') return keysCommand(positionals.slice(1), values);
  if (command !== 'start' && command !== 'check') {
    const near = closest(command, COMMANDS);
    process.stderr.write(
      `switchyard: unknown command "${command}"${near ? ` (did you mean switchyard ${near}?)` : ''}\n\n${HELP}\n`,
    );
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
    // --host/--port are the effective address: plugins, `check` and the loopback rule see them.
    const server = {
      ...loaded.config.server,
      ...(values.host ? { host: values.host } : {}),
      ...(port !== undefined ? { port } : {}),
    };
    gw = await createGateway({ ...loaded.config, server });
  } catch (e) {
    process.stderr.write(`switchyard: ${(e as Error).message}\n`);
    return 1;
  }

  if (command === 'check') {
    gw.log.level = 'warn'; // the report is the output; no JSON log lines after it
    process.stdout.write(describe(gw, source) + '\nconfig OK\n');
    if (!gw.providers.list().length) process.stderr.write(`switchyard: ${NO_PROVIDER}\n`);
    await gw.close();
    return 0;
  }

  let url: string;
  try {
    ({ url } = await gw.listen({ port, host: values.host }));
  } catch (e) {
    const where = { host: values.host ?? gw.config.server.host, port: port ?? gw.config.server.port };
    process.stderr.write(`switchyard: ${listenError(e as NodeJS.ErrnoException, where.host, where.port)}\n`);
    await gw.close();
    return 1;
  }

  // Signal handlers first, then the "listening" line: whoever waits for that line may signal at once.
  const exited = new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`switchyard: ${signal} again, exiting now\n`);
        resolveExit(1);
        return;
      }
      stopping = true;
      process.stderr.write(`switchyard: ${signal} received, finishing in-flight requests\n`);
      gw.close().then(
        () => resolveExit(0),
        () => resolveExit(1),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  process.stderr.write(
    `switchyard listening on ${url} (providers: ${
      gw.providers
        .list()
        .map((p) => p.name)
        .join(', ') || 'none'
    })\n`,
  );
  if (!gw.providers.list().length) process.stderr.write(`switchyard: ${NO_PROVIDER}\n`);
  return exited;
}

/** What a failed listen means for the person at the terminal. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): string {
  if (e.code === 'EADDRINUSE') {
    return (
      `port ${port} on ${host} is already in use (another switchyard, or another program). ` +
      `Stop it, or choose another port: switchyard start --port ${port === 65535 ? 4001 : port + 1} ` +
      '(or server.port in the config).'
    );
  }
  if (e.code === 'EACCES') {
    return (
      `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges). ` +
      'Choose another port: switchyard start --port 4000 (or server.port in the config).'
    );
  }
  if (e.code === 'EADDRNOTAVAIL') {
    return (
      `cannot listen on ${host}: no network interface of this machine has that address. ` +
      'Use --host 127.0.0.1 (or server.host).'
    );
  }
  return e.message;
}

/** 'openai (core)' then the ingresses plugins mounted, in order. */
function pluginIngresses(routes: readonly { ingress?: string }[]): string[] {
  const names = new Set(routes.flatMap((r) => (r.ingress && r.ingress !== 'openai' ? [r.ingress] : [])));
  return ['openai (core)', ...names];
}
