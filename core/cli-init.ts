/**
 * `switchyard init`: write a commented `switchyard.config.ts` that works as written. It lists the
 * providers whose keys are in the environment now (the same detection as a start without a config),
 * else the mock provider, and never overwrites a file.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { CONFIG_CANDIDATES } from './config-loader.js';
import { createGateway } from '../index.js';
import { PACKAGE_NAME } from './package-root.js';

/** Provider names whose factory in the package is spelled differently. */
const FACTORY: Record<string, string> = { 'azure-openai': 'azureOpenAI' };

/** The providers a start without a config would enable from this environment, as factory names. */
async function providersInEnvironment(): Promise<string[]> {
  const gw = await createGateway({
    logging: { level: 'silent' },
    cache: false,
    meter: false,
    failover: false,
    catalog: false,
  });
  try {
    return gw.providers.list().map((p) => FACTORY[p.name] ?? p.name);
  } finally {
    await gw.close();
  }
}

export function configTemplate(factories: string[]): string {
  const mock = factories.length === 0;
  const names = mock ? ['mock'] : factories;
  const providers = mock
    ? [
        '  // No provider key was in the environment, so this uses the mock provider: simulated models',
        '  // (mock-small, mock-large, mock-embed) in-process, no network. For real models set a key such as',
        `  // OPENAI_API_KEY and use the provider's factory instead, e.g. providers: [openai()].`,
        '  providers: [mock()],',
      ]
    : [
        '  // The providers whose keys were in the environment when this file was written. Each reads its',
        '  // key (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) from the environment when the gateway starts, so',
        '  // no secret is in this file. A missing key stops the start with a message naming the variable.',
        `  providers: [${factories.map((f) => `${f}()`).join(', ')}],`,
      ];
  const aliases = mock
    ? ["      smart: ['mock/mock-large', 'mock/mock-small'],", "      cheap: 'mock/mock-small',"]
    : ["      // smart: ['openai/gpt-4.1', 'anthropic/claude-sonnet-4-5'],", "      // cheap: 'openai/gpt-4.1-mini',"];
  return [
    '/**',
    ' * Switchyard configuration, written by `switchyard init`.',
    ' *',
    ' *   npx switchyard check    validate it and print the resolved setup',
    ' *   npx switchyard start    serve http://127.0.0.1:4000/v1 (OpenAI SDK: baseURL "http://127.0.0.1:4000/v1")',
    ' *',
    ` * Every option: docs/configuration.md (in node_modules/${PACKAGE_NAME}/docs/ once installed).`,
    ' */',
    `import { defineConfig, ${names.join(', ')} } from '${PACKAGE_NAME}';`,
    '',
    'export default defineConfig({',
    '  // Loopback only: without client keys (auth below) the gateway serves anyone who can reach it.',
    "  server: { host: '127.0.0.1', port: 4000 },",
    '',
    ...providers,
    '',
    '  routing: {',
    '    // Names your apps can ask for, mapped to "provider/model" targets tried in order (failover).',
    '    aliases: {',
    ...aliases,
    '    },',
    '  },',
    '  // On a retryable error (429, 5xx, timeout): one retry, then the next target of the alias.',
    '  failover: { retries: 1 },',
    '  // Identical requests within 5 minutes are answered from memory (x-switchyard-cache: hit).',
    '  cache: { ttlSeconds: 300 },',
    '',
    '  // Client keys, required before listening anywhere but loopback:',
    "  // auth: { keys: [{ id: 'my-app', key: process.env.MY_APP_KEY!, project: 'my-app' }] },",
    '',
    '  // Virtual keys (`switchyard keys create`), USD budgets, rate limits, a usage ledger and the admin API',
    '  // (docs/governance.md). The SQLite ledger needs the optional native module better-sqlite3.',
    "  // governance: { adminKey: process.env.SWITCHYARD_ADMIN_KEY, ledger: { path: '.switchyard/usage.db' } },",
    '});',
    '',
  ].join('\n');
}

export async function initConfig(file?: string): Promise<number> {
  const path = resolve(file ?? 'switchyard.config.ts');
  const existing = file
    ? existsSync(path)
      ? path
      : undefined
    : CONFIG_CANDIDATES.map((c) => resolve(c)).find((c) => existsSync(c));
  if (existing) {
    process.stderr.write(
      `switchyard: ${existing} exists; init does not overwrite it. ` +
        'Check it with `switchyard check`, or remove it (or pass --config OTHER.ts) to write a new one.\n',
    );
    return 1;
  }
  if (!/\.[cm]?ts$/.test(path)) {
    process.stderr.write(
      `switchyard: init writes a TypeScript config; use a name ending in .ts (got ${basename(path)})\n`,
    );
    return 1;
  }
  let factories: string[];
  try {
    factories = await providersInEnvironment();
  } catch (e) {
    process.stderr.write(`switchyard: ${(e as Error).message}\n`);
    return 1;
  }
  await writeFile(path, configTemplate(factories), { flag: 'wx' });
  const what = factories.length
    ? `the providers whose keys are in the environment: ${factories.join(', ')}`
    : 'the mock provider (no provider key in the environment)';
  const flag = file ? ` --config ${file}` : '';
  process.stdout.write(`wrote ${path} with ${what}\nnext: switchyard check${flag}, then switchyard start${flag}\n`);
  return 0;
}
