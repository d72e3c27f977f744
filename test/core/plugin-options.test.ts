/**
 * Every built-in plugin factory, given missing or wrong options, ends in the one boot-time error
 * format (issue 13 item 4): a ConfigError whose message is `Plugin "<name>": option "<path>" ...`,
 * never a TypeError such as "Cannot read properties of undefined (reading 'replace')". The mistake
 * may surface when the factory is called (in the config file) or when the gateway boots: both are
 * covered, as a user meets them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  anthropic,
  azureOpenAI,
  bedrock,
  cache,
  Catalog,
  cerebras,
  cohere,
  ConfigError,
  createGateway,
  dashboard,
  deepseek,
  definePlugin,
  exactCache,
  fireworks,
  gemini,
  governance,
  groq,
  mistral,
  mock,
  modelCatalog,
  modelRouter,
  ollama,
  openai,
  openaiCompatible,
  openrouter,
  perplexity,
  postgresLedger,
  redis,
  retryFailover,
  sharedGovernance,
  staticKeys,
  together,
  usageMeter,
  vertex,
  vllm,
  xai,
  type SwitchyardConfig,
} from '../../index.js';
import type { Plugin, PluginOptionsError } from '../../core/plugin.js';
import type { RedisStore } from '../../plugins/scaleout/redis-store.js';

/** What the user writes: a config (built by calling factories) or a factory call that throws. */
type Case = [label: string, config: () => SwitchyardConfig, plugin: string, option: string, detail?: RegExp];

const asProvider = (p: () => Plugin) => () => ({ providers: [p()] });
const asPlugin = (p: () => Plugin | Plugin[]) => () => ({ providers: [mock()], plugins: ([] as Plugin[]).concat(p()) });
const bad = <T>(v: unknown) => v as T;
const KEY = 'k'.repeat(20);

const CASES: Case[] = [
  // openaiCompatible: the two crashes of the issue, and its env variables
  [
    'openaiCompatible()',
    asProvider(() => openaiCompatible(bad(undefined))),
    'openai-compatible',
    'name',
    /is required/,
  ],
  [
    'openaiCompatible({ name }) without a base URL',
    asProvider(() => openaiCompatible({ name: 'lab' })),
    'lab',
    'baseURL',
    /LAB_BASE_URL/,
  ],
  [
    'openaiCompatible: name of the wrong type',
    asProvider(() => openaiCompatible(bad({ name: 42, baseURL: 'http://h/v1' }))),
    'openai-compatible',
    'name',
    /must be string/,
  ],
  [
    'openaiCompatible: name with spaces',
    asProvider(() => openaiCompatible({ name: 'my lab', baseURL: 'http://h/v1' })),
    'openai-compatible',
    'name',
    /pattern/,
  ],
  [
    'openaiCompatible: baseURL not http',
    asProvider(() => openaiCompatible({ name: 'lab', baseURL: 'ftp://h/v1' })),
    'openai-compatible',
    'baseURL',
  ],
  [
    'openaiCompatible: unknown option',
    asProvider(() => openaiCompatible(bad({ name: 'lab', baseURL: 'http://h/v1', baseUrl: 'x' }))),
    'openai-compatible',
    'baseUrl',
    /not a known option/,
  ],
  [
    'openaiCompatible: <NAME>_BASE_URL not http',
    () => {
      process.env.LAB_BASE_URL = 'h:8000/v1';
      return { providers: [openaiCompatible({ name: 'lab' })] };
    },
    'lab',
    'baseURL',
    /from LAB_BASE_URL/,
  ],
  // the presets: no key
  ...(
    [
      ['openai', openai],
      ['deepseek', deepseek],
      ['groq', groq],
      ['together', together],
      ['fireworks', fireworks],
      ['mistral', mistral],
      ['xai', xai],
      ['openrouter', openrouter],
      ['perplexity', perplexity],
      ['cerebras', cerebras],
    ] as const
  ).map(
    ([name, f]): Case => [
      `${name}() without a key`,
      asProvider(() => f()),
      name,
      'apiKey',
      new RegExp(`Set ${name.toUpperCase()}_API_KEY`),
    ],
  ),
  [
    'openai: timeoutMs 0',
    asProvider(() => openai({ apiKey: KEY, timeoutMs: 0 })),
    'openai',
    'timeoutMs',
    /must be >= 1 \(got 0\)/,
  ],
  [
    'openai: models not a list',
    asProvider(() => openai(bad({ apiKey: KEY, models: 'gpt-4o' }))),
    'openai',
    'models',
    /must be array/,
  ],
  ['openai: options not an object', asProvider(() => openai(bad(KEY))), 'openai', '(options)', /must be an object/],
  [
    'openai: OPENAI_BASE_URL not http',
    () => {
      process.env.OPENAI_BASE_URL = 'api.openai.com';
      return { providers: [openai({ apiKey: KEY })] };
    },
    'openai',
    'baseURL',
    /from OPENAI_BASE_URL/,
  ],
  ['ollama: baseURL not http', asProvider(() => ollama({ baseURL: 'localhost:11434' })), 'ollama', 'baseURL'],
  [
    'vllm: headers not strings',
    asProvider(() => vllm(bad({ headers: { 'x-a': 1 } }))),
    'vllm',
    'headers.x-a',
    /must be string/,
  ],
  // native providers
  ['anthropic() without a key', asProvider(() => anthropic()), 'anthropic', 'apiKey', /ANTHROPIC_API_KEY/],
  [
    'anthropic: defaultMaxTokens 0',
    asProvider(() => anthropic({ apiKey: KEY, defaultMaxTokens: 0 })),
    'anthropic',
    'defaultMaxTokens',
  ],
  [
    'anthropic: ANTHROPIC_BASE_URL not http',
    () => {
      process.env.ANTHROPIC_BASE_URL = 'x';
      return { providers: [anthropic({ apiKey: KEY })] };
    },
    'anthropic',
    'baseURL',
  ],
  ['gemini() without a key', asProvider(() => gemini()), 'gemini', 'apiKey', /GEMINI_API_KEY/],
  ['gemini: apiVersion', asProvider(() => gemini({ apiKey: KEY, apiVersion: 'latest' })), 'gemini', 'apiVersion'],
  ['vertex() without credentials', asProvider(() => vertex()), 'vertex', 'accessToken', /VERTEX_ACCESS_TOKEN/],
  ['vertex without a project', asProvider(() => vertex({ accessToken: KEY })), 'vertex', 'project', /VERTEX_PROJECT/],
  [
    'vertex: location',
    asProvider(() => vertex({ accessToken: KEY, project: 'p', location: 'Europe West' })),
    'vertex',
    'location',
  ],
  [
    'vertex: VERTEX_LOCATION from the env',
    () => {
      process.env.VERTEX_LOCATION = 'Europe West';
      return { providers: [vertex({ accessToken: KEY, project: 'p' })] };
    },
    'vertex',
    'location',
  ],
  [
    'vertex: serviceAccount file missing',
    asProvider(() => vertex({ serviceAccount: '/nonexistent/key.json', project: 'p' })),
    'vertex',
    'serviceAccount',
    /Could not read/,
  ],
  [
    'vertex: serviceAccount JSON without a key',
    asProvider(() => vertex({ serviceAccount: '{"client_email":"a@b"}', project: 'p' })),
    'vertex',
    'serviceAccount',
    /private_key/,
  ],
  ['azureOpenAI() without a key', asProvider(() => azureOpenAI()), 'azure-openai', 'apiKey', /AZURE_OPENAI_API_KEY/],
  [
    'azureOpenAI without an endpoint',
    asProvider(() => azureOpenAI({ apiKey: KEY })),
    'azure-openai',
    'endpoint',
    /AZURE_OPENAI_ENDPOINT/,
  ],
  [
    'azureOpenAI: endpoint not http',
    asProvider(() => azureOpenAI({ apiKey: KEY, endpoint: 'my-resource.openai.azure.com' })),
    'azure-openai',
    'endpoint',
  ],
  [
    'azureOpenAI: AZURE_OPENAI_ENDPOINT not http',
    () => {
      process.env.AZURE_OPENAI_ENDPOINT = 'res.openai.azure.com';
      return { providers: [azureOpenAI({ apiKey: KEY })] };
    },
    'azure-openai',
    'endpoint',
    /from AZURE_OPENAI_ENDPOINT/,
  ],
  ['cohere() without a key', asProvider(() => cohere()), 'cohere', 'apiKey', /COHERE_API_KEY/],
  [
    'cohere: embedInputType',
    asProvider(() => cohere(bad({ apiKey: KEY, embedInputType: 'query' }))),
    'cohere',
    'embedInputType',
    /must be one of/,
  ],
  ['bedrock() without credentials', asProvider(() => bedrock()), 'bedrock', 'accessKeyId', /AWS_BEARER_TOKEN_BEDROCK/],
  [
    'bedrock: accessKeyId without secretAccessKey',
    asProvider(() => bedrock({ region: 'us-east-1', accessKeyId: 'AKIA' })),
    'bedrock',
    'secretAccessKey',
  ],
  ['bedrock without a region', asProvider(() => bedrock({ apiKey: KEY })), 'bedrock', 'region', /AWS_REGION/],
  [
    'bedrock: AWS_REGION not a region',
    () => {
      process.env.AWS_REGION = 'US East';
      return { providers: [bedrock({ apiKey: KEY })] };
    },
    'bedrock',
    'region',
    /from AWS_REGION/,
  ],
  ['mock: failureRate', asProvider(() => mock({ failureRate: 3 })), 'mock', 'failureRate', /must be <= 1 \(got 3\)/],
  ['mock: name of the wrong type', asProvider(() => mock(bad({ name: 7 }))), '7', 'name', /must be string/],
  [
    'mock: options not an object',
    asProvider(() => mock(bad('fast'))),
    'mock',
    '(options)',
    /must be an object \(got "fast"\)/,
  ],
  // built-ins used as plugins
  ['staticKeys({})', asPlugin(() => staticKeys(bad({}))), 'static-keys', 'keys', /is required/],
  ['staticKeys: a short key', asPlugin(() => staticKeys({ keys: ['short'] })), 'static-keys', 'keys[0]'],
  [
    'staticKeys: an entry without key or keyHash',
    asPlugin(() => staticKeys({ keys: [{ id: 'a' }] })),
    'static-keys',
    'keys[0]',
    /needs `key` or `keyHash`/,
  ],
  [
    'staticKeys: an entry of the wrong type',
    asPlugin(() => staticKeys(bad({ keys: [null] }))),
    'static-keys',
    'keys[0]',
  ],
  [
    'modelRouter: alias without a provider',
    asPlugin(() => modelRouter({ aliases: { fast: 'gpt-4o' } })),
    'model-router',
    'aliases.fast',
    /pattern/,
  ],
  [
    'modelRouter: unknown strategy',
    asPlugin(() => modelRouter(bad({ models: { m: { strategy: 'random', targets: ['mock/a'] } } }))),
    'model-router',
    'models.m.strategy',
    /must be one of/,
  ],
  [
    'retryFailover: retries -1',
    asPlugin(() => retryFailover({ retries: -1 })),
    'retry-failover',
    'retries',
    /must be >= 0/,
  ],
  ['cache: ttlSeconds 0', asPlugin(() => cache({ ttlSeconds: 0 })), 'cache', 'ttlSeconds', /must be >= 1 \(got 0\)/],
  ['exactCache: scope', asPlugin(() => exactCache(bad({ scope: 'team' }))), 'cache', 'scope', /must be one of/],
  [
    'cache: an embedder provider that is not enabled',
    asPlugin(() => cache({ semantic: { embedder: { provider: 'openai', model: 'text-embedding-3-small' } } })),
    'cache',
    'semantic.embedder.provider',
    /not an enabled provider/,
  ],
  [
    'modelCatalog: not a Catalog',
    asPlugin(() => modelCatalog(bad({ models: {} }))),
    'model-catalog',
    '(catalog)',
    /must be a Catalog/,
  ],
  [
    'Catalog: a model key without provider',
    asPlugin(() => modelCatalog(new Catalog(bad({ models: { 'gpt-4o': { prices: { input: 1 } } } })))),
    'model-catalog',
    'models',
  ],
  [
    'Catalog: a discount over 100',
    asPlugin(() => modelCatalog(new Catalog({ providers: { openai: { discountPct: 150 } } }))),
    'model-catalog',
    'providers.openai.discountPct',
    /must be <= 100/,
  ],
  ['usageMeter: log', asPlugin(() => usageMeter(bad({ log: 'yes' }))), 'usage-meter', 'log', /must be boolean/],
  ['governance: a short adminKey', asPlugin(() => governance({ adminKey: 'short' })), 'governance', 'adminKey'],
  [
    'governance: timeZone',
    asPlugin(() => governance({ timeZone: 'Mars/Base' })),
    'governance',
    'timeZone',
    /IANA time zone/,
  ],
  [
    'governance: a key without key or keyHash',
    asPlugin(() => governance(bad({ keys: [{ id: 'x' }] }))),
    'governance',
    'keys[0]',
    /needs `key` or `keyHash`/,
  ],
  [
    'governance: the same key id twice',
    asPlugin(() =>
      governance({
        keys: [
          { id: 'a', key: KEY },
          { id: 'a', key: KEY + 'x' },
        ],
      }),
    ),
    'governance',
    'keys[1].id',
    /repeats the id "a"/,
  ],
  [
    'governance: a short metrics token',
    asPlugin(() => governance({ metrics: { token: 'short' } })),
    'governance',
    'metrics.token',
  ],
  [
    'governance: a budget period',
    asPlugin(() => governance(bad({ budgets: { global: [{ limitUsd: 1, period: 'year' }] } }))),
    'governance',
    'budgets.global[0].period',
    /must be one of/,
  ],
  ['dashboard: sessionMinutes 0', asPlugin(() => dashboard({ sessionMinutes: 0 })), 'dashboard', 'sessionMinutes'],
  ['dashboard: an empty title', asPlugin(() => dashboard({ title: '' })), 'dashboard', 'title'],
  // scale-out factories (checked when called, before anything connects)
  [
    'redis: onOutage value',
    () => ({ store: redis(bad({ onOutage: { cache: 'shut' } })) }),
    'redis',
    'onOutage.cache',
    /must be one of "open", "closed"/,
  ],
  [
    'redis: onOutage feature',
    () => ({ store: redis(bad({ onOutage: { breakers: 'open' } })) }),
    'redis',
    'onOutage.breakers',
    /not a known option/,
  ],
  ['redis: url scheme', () => ({ store: redis({ url: 'http://127.0.0.1:6379' }) }), 'redis', 'url', /pattern/],
  [
    'redis: commandTimeoutMs 0',
    () => ({ store: redis({ commandTimeoutMs: 0 }) }),
    'redis',
    'commandTimeoutMs',
    /must be >= 1/,
  ],
  [
    'postgresLedger: schema',
    () => ({
      providers: [mock()],
      governance: {},
      plugins: [governance({}, { ledger: postgresLedger({ schema: 'My-Schema' }) })],
    }),
    'postgres-ledger',
    'schema',
    /pattern/,
  ],
  [
    'postgresLedger: poolSize 0',
    () => ({ plugins: [governance({}, { ledger: postgresLedger({ poolSize: 0 }) })] }),
    'postgres-ledger',
    'poolSize',
  ],
  [
    'sharedGovernance without a store',
    asPlugin(() => sharedGovernance({}, bad({}))),
    'scaleout',
    'store',
    /redis\(\) store/,
  ],
  [
    'sharedGovernance without a ledger',
    asPlugin(() => sharedGovernance({}, bad({ store: { quota: () => undefined } as unknown as RedisStore }))),
    'scaleout',
    'ledger',
    /postgresLedger/,
  ],
  // a plugin of your own: a TypeError while applying names the plugin
  [
    'definePlugin: apply trips over its options',
    asPlugin(() =>
      definePlugin<{ tags?: string[] }>({
        name: 'tagger',
        apply(_gw, o) {
          o.tags!.map((t) => t);
        },
      })(),
    ),
    'tagger',
    '(options)',
    /could not be applied: Cannot read properties of undefined/,
  ],
];

/** Env variables the cases depend on: none may come from the machine running the tests. */
const ENV = /(_API_KEY|_BASE_URL|_ENDPOINT)$|^(AWS_|VERTEX_|GOOGLE_|GEMINI_|SWITCHYARD_)|^OPENAI_API_VERSION$/;
const saved: Record<string, string | undefined> = {};
const clearEnv = () => {
  for (const k of Object.keys(process.env)) {
    if (ENV.test(k)) {
      if (!(k in saved)) saved[k] = process.env[k];
      delete process.env[k];
    }
  }
};
before(clearEnv);
after(() => {
  clearEnv();
  Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
});

const quoted = (option: string) => (option.startsWith('(') ? option : `"${option}"`);

for (const [label, config, plugin, option, detail] of CASES) {
  test(`option mistake -> ConfigError naming plugin and option: ${label}`, async () => {
    clearEnv();
    let caught: unknown;
    try {
      const gw = await createGateway({ logging: { level: 'silent' }, ...config() });
      await gw.close();
    } catch (e) {
      caught = e;
    } finally {
      clearEnv();
    }
    assert.ok(caught, 'the mistake was refused');
    const message = (caught as Error).message;
    assert.ok(caught instanceof ConfigError, `a ConfigError, not ${(caught as Error).name}: ${message}`);
    const head = `Plugin "${plugin}": option ${quoted(option)} `;
    assert.ok(message.startsWith(head), `"${message}" starts with ${head}`);
    if (detail) assert.match(message, detail);
    if (!/could not be applied/.test(message))
      assert.doesNotMatch(message, /Cannot read properties|is not a function|undefined \(reading/);
  });
}

test('routing and catalog sections keep the config path in the same ConfigError', async () => {
  await assert.rejects(
    createGateway({ logging: { level: 'silent' }, providers: [mock()], routing: { aliases: { fast: 'nope/x' } } }),
    (e) =>
      e instanceof ConfigError &&
      e.path === 'routing.aliases.fast' &&
      new RegExp(
        /^Invalid configuration: routing\.aliases\.fast names provider "nope", /.source +
          /which is not enabled\. Enabled: mock\.$/.source,
      ).test(e.message),
  );
  await assert.rejects(
    createGateway({ logging: { level: 'silent' }, providers: [mock()], routing: { defaultProvider: 'nope' } }),
    (e) =>
      e instanceof ConfigError &&
      /^Invalid configuration: routing\.defaultProvider "nope" is not an enabled provider\.$/.test(e.message),
  );
});

test('PluginOptionsError is a ConfigError with plugin, path, detail and fix', async () => {
  clearEnv();
  const err = await createGateway({ logging: { level: 'silent' }, providers: [openai()] }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof ConfigError);
  assert.equal(err.name, 'PluginOptionsError');
  assert.equal((err as PluginOptionsError).plugin, 'openai');
  assert.equal(err.path, 'apiKey');
  assert.equal(
    err.message,
    'Plugin "openai": option "apiKey" is required: no API key was given. ' +
      'Set OPENAI_API_KEY in the environment or pass { apiKey }.',
  );
});

test(
  'every documented option of redis() and postgresLedger() is accepted ' + '(the schemas follow the option types)',
  async () => {
    const store = redis({
      url: 'redis://127.0.0.1:6379',
      prefix: 'sy-options:',
      commandTimeoutMs: 100,
      admissionTimeoutMs: 50,
      connectTimeoutMs: 500,
      backoffMs: 10,
      maxBackoffMs: 100,
      onOutage: { rateLimits: 'open', budgets: 'closed', cache: 'open', keys: 'closed' },
      notReadyWhenDown: false,
      ioredis: { lazyConnect: true },
    });
    await store.close();
    const ledger = postgresLedger({
      url: 'postgres://root@127.0.0.1:5432/test',
      schema: 'sy_options',
      poolSize: 2,
      maxBuffered: 10,
      insertBatch: 5,
      connectTimeoutMs: 100,
      statementTimeoutMs: 100,
      retryMs: 10,
      maxRetryMs: 100,
      pruneBatch: 10,
      notReadyWhenDown: false,
    });
    await ledger.close();
  },
);
