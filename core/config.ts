/**
 * defineConfig, the config schema and its validation. A mistake produces one ConfigError naming the
 * path, what was expected and how to fix it; the CLI prints it and exits 1 before listening.
 */
import type { ResolvedConfig, SwitchyardConfig } from './config-types.js';
import { ConfigError } from './config-error.js';
import { catalogSchema, checkRouting, failoverSchema, routingSchema } from './config-routing.js';
import { trustedProxies } from './http/client-address.js';
import { bestError, compile, formatAjvError } from './validation.js';

export type * from './config-types.js';

/** Identity function that gives a config file its types. */
export function defineConfig(config: SwitchyardConfig): SwitchyardConfig {
  return config;
}

export { ConfigError } from './config-error.js';

// Items are checked after schema validation, so that a forgotten call gets a precise message.
const pluginList = { type: 'array' };
const posInt = { type: 'integer', minimum: 1 };
const nonNegInt = { type: 'integer', minimum: 0 };

/** One client key of `auth.keys` (and of the static-keys plugin). */
export const apiKeyEntrySchema = {
  anyOf: [
    { type: 'string', minLength: 8 },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        id: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 8 },
        keyHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        project: { type: 'string' },
        name: { type: 'string' },
      },
    },
  ],
};

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        prefix: { type: 'string', pattern: '^(/[A-Za-z0-9._~-]+)*$' },
        bodyLimit: posInt,
        uploadLimit: posInt,
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          properties: { cert: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 } },
        },
        allowUnauthenticatedRemote: { type: 'boolean' },
        shutdownTimeoutMs: nonNegInt,
        idleCollectMs: nonNegInt,
        allocationSitePretenuring: { type: 'boolean' },
        trustedProxies: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
    providers: pluginList,
    plugins: pluginList,
    auth: {
      anyOf: [
        { const: false },
        {
          type: 'object',
          additionalProperties: false,
          required: ['keys'],
          properties: {
            keys: { type: 'array', items: apiKeyEntrySchema },
          },
        },
      ],
    },
    routing: routingSchema,
    failover: failoverSchema,
    catalog: catalogSchema,
    // the cache plugin validates its own options (errors name plugin "cache" and the option)
    cache: { anyOf: [{ const: false }, { type: 'object' }] },
    // the governance plugin validates its own options (errors name plugin "governance" and the option)
    governance: { anyOf: [{ const: false }, { type: 'object' }] },
    // the guardrails plugin validates its own options (errors name plugin "guardrails" and the option)
    guardrails: { anyOf: [{ const: false }, { type: 'object' }] },
    meter: {
      anyOf: [
        { const: false },
        { type: 'object', additionalProperties: false, properties: { log: { type: 'boolean' } } },
      ],
    },
    passthrough: {
      anyOf: [
        { const: false },
        {
          type: 'object',
          additionalProperties: false,
          properties: { estimateUsd: { type: 'number', minimum: 0 }, maxBodyBytes: posInt },
        },
      ],
    },
    batches: {
      anyOf: [
        { const: false },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            provider: { type: 'string', minLength: 1 },
            anthropicProvider: { type: 'string', minLength: 1 },
            requestEstimateUsd: { type: 'number', minimum: 0 },
            maxUploadBytes: posInt,
          },
        },
      ],
    },
    // ingress plugins by name (the wiring names the built-in ones and refuses unknown names)
    ingresses: { type: 'object', additionalProperties: { type: 'boolean' } },
    upstream: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutMs: posInt,
        connectTimeoutMs: posInt,
        connections: posInt,
        keepAliveTimeoutMs: posInt,
        maxResponseBytes: posInt,
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
        bufferMs: { type: 'integer', minimum: 0, maximum: 10_000 },
      },
    },
    store: { type: 'object' },
    // the governance plugin's ledger (a Ledger object, e.g. postgresLedger(...))
    ledger: { type: 'object' },
    logger: { type: 'object' },
  },
};

const FIXES: Record<string, string> = {
  'server.port': 'Use a port number such as 4000.',
  'server.prefix': 'Use a path such as "/ai" (leading slash, no trailing slash).',
  'auth.keys': 'Each key is a string of at least 8 characters or { id, key | keyHash, project }.',
  'routing.aliases': 'Targets are written "provider/model", e.g. "openai/gpt-4o-mini".',
};

const validate = compile(schema);

/** Validate a config object; throws ConfigError. */
export function validateConfig(config: unknown): asserts config is SwitchyardConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError('(root)', 'must be an object', 'Export `defineConfig({ ... })` as the default export.');
  }
  if (!validate(config)) {
    const f = formatAjvError(bestError(validate.errors!), '', config);
    const fixKey = Object.keys(FIXES).find(
      (k) => f.path === k || f.path.startsWith(k + '.') || f.path.startsWith(k + '['),
    );
    throw new ConfigError(f.path, f.message, fixKey ? FIXES[fixKey] : undefined);
  }
  (config as SwitchyardConfig).server?.trustedProxies?.forEach((entry, i) => {
    try {
      trustedProxies([entry]);
    } catch (e) {
      throw new ConfigError(
        `server.trustedProxies[${i}]`,
        (e as Error).message.replace(/^"[^"]*" /, ''),
        'Use an address or CIDR range.',
      );
    }
  });
  const problem = checkRouting(config as SwitchyardConfig);
  if (problem) throw new ConfigError(problem.path, problem.detail, problem.fix);
  for (const list of ['providers', 'plugins'] as const) {
    (config as SwitchyardConfig)[list]?.forEach((p, i) => {
      if (
        !p ||
        typeof p !== 'object' ||
        typeof (p as { apply?: unknown }).apply !== 'function' ||
        typeof p.name !== 'string'
      ) {
        throw new ConfigError(
          `${list}[${i}]`,
          'is not a plugin',
          'Call the plugin factory, e.g. `openai()` rather than `openai`.',
        );
      }
    });
  }
}

const DEFAULT_SERVER = {
  host: '127.0.0.1',
  port: 4000,
  prefix: '',
  bodyLimit: 10 * 1024 * 1024,
  uploadLimit: 25 * 1024 * 1024,
  allowUnauthenticatedRemote: false,
  shutdownTimeoutMs: 10_000,
  idleCollectMs: 10_000,
  allocationSitePretenuring: false,
  trustedProxies: [] as string[],
};

/** Fill defaults. `envProviders` supplies providers when the config names none. */
export function resolveConfig(
  config: SwitchyardConfig,
  envProviders: () => ResolvedConfig['providers'],
): ResolvedConfig {
  validateConfig(config);
  return {
    ...config,
    server: { ...DEFAULT_SERVER, ...config.server },
    providers: config.providers ?? envProviders(),
    plugins: config.plugins ?? [],
  };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
