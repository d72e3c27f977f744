/** The CLI and configuration: validation messages, exit codes, zero-config, loopback safety. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import OpenAI from 'openai';
import { ConfigError, createGateway, mock, redis, SqliteLedger, validateConfig } from '../../index.js';
import { runCli, startCli } from '../helpers/cli.js';

test('validateConfig names the path, what was expected and a fix', () => {
  assert.throws(
    () => validateConfig({ server: { port: 'x' } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'server.port' &&
      /must be integer \(got "x"\)/.test(e.message) &&
      /port number/.test(e.message),
  );
  assert.throws(() => validateConfig({ sever: {} }), /sever is not a known option/);
  assert.throws(
    () => validateConfig({ routing: { aliases: { a: 'no-slash' } } }),
    /routing\.aliases\.a .*provider\/model/s,
  );
  assert.throws(() => validateConfig({ auth: { keys: ['short'] } }), /auth\.keys\[0\]/);
  assert.throws(() => validateConfig({ logging: { level: 'loud' } }), /logging\.level must be one of "fatal"/);
  assert.throws(
    () => validateConfig({ providers: [mock] as never }),
    /providers\[0\] is not a plugin.*Call the plugin factory/s,
  );
  assert.doesNotThrow(() => validateConfig({ failover: false, cache: { ttlSeconds: 5 }, server: { prefix: '/ai' } }));
});

test('plugin options are validated at boot with the plugin, option and expectation named', async () => {
  await assert.rejects(
    createGateway({ providers: [mock({ failureRate: 3 })], logging: { level: 'silent' } }),
    /Plugin "mock": option "failureRate" must be <= 1 \(got 3\)/,
  );
  await assert.rejects(
    createGateway({ providers: [mock({ latencyMs: -1 })], logging: { level: 'silent' } }),
    /Plugin "mock": option "latencyMs" must be >= 0/,
  );
});

test('a provider without its key fails at boot naming the environment variable', async () => {
  const { openai } = await import('../../index.js');
  const saved = process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_API_KEY;
  try {
    await assert.rejects(createGateway({ providers: [openai()], logging: { level: 'silent' } }), /set OPENAI_API_KEY/i);
  } finally {
    if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
  }
});

test('switchyard check: a bad config prints one clear message and exits 1', async () => {
  const r = await runCli(['check', '--config', 'test/fixtures/bad-port.config.ts']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Invalid configuration: server\.port must be integer \(got "eighty"\)\. Use a port number/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const p = await runCli(['check', '--config', 'test/fixtures/bad-plugin-option.config.ts']);
  assert.equal(p.code, 1);
  assert.match(p.stderr, /Plugin "mock": option "failureRate" must be <= 1/);
  const missing = await runCli(['check', '--config', 'nope.config.ts']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Config file not found/);
});

test('switchyard check: a good config prints the resolved setup with keys masked', async () => {
  const r = await runCli(['check', '--config', 'test/fixtures/good.config.ts'], {
    TEST_CLIENT_KEY: 'sk-secret-client-key-987654321',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /providers:\n {2}- mock/);
  assert.match(r.stdout, /smart -> mock\/mock-large \| mock\/mock-small/);
  assert.match(r.stdout, /auth:\s+static-keys/);
  assert.match(r.stdout, /ingresses: openai \(core\), anthropic, responses\n/, 'the client APIs served');
  assert.match(r.stdout, /config OK\n$/, 'the report ends the output: no log lines after it');
  assert.ok(!r.stdout.includes('sk-secret-client-key-987654321'));
});

test('switchyard check with no config file: zero-config from the environment, keys masked', async () => {
  const r = await runCli(['check'], {
    GROQ_API_KEY: 'gsk_abcdefghijklmnopqrstuvwxyz123456',
    OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /environment \(no config file\)/);
  assert.match(r.stdout, /- groq\s+baseURL=https:\/\/api\.groq\.com\/openai\/v1\s+apiKey=gsk…3456/);
  assert.match(r.stdout, /- ollama\s+baseURL=http:\/\/127\.0\.0\.1:11434\/v1/);
  assert.ok(!r.stdout.includes('gsk_abcdefghijklmnopqrstuvwxyz123456'));
});

test('a bad SWITCHYARD_LOG_LEVEL is a clear boot error', async () => {
  const r = await runCli(['check'], { SWITCHYARD_LOG_LEVEL: 'loud' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SWITCHYARD_LOG_LEVEL is "loud"; use one of fatal, error/);
});

test('switchyard --help, unknown commands and bad flags', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /switchyard start \[--config FILE\]/);
  const unknown = await runCli(['launch']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command "launch"/);
  const port = await runCli(['start', '--port', 'abc']);
  assert.equal(port.code, 1);
  assert.match(port.stderr, /--port must be a port number/);
});

test('switchyard start refuses a non-loopback host when no client auth is configured', async () => {
  const r = await runCli(['start', '--config', 'test/fixtures/remote-no-auth.config.ts']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /server\.host is "0\.0\.0\.0".*no client auth is configured/);
});

test('switchyard start serves requests, logs metadata only, and shuts down cleanly on SIGTERM', async () => {
  const canaryPrompt = 'CANARY-PROMPT-7f3a9b21';
  const clientKey = 'sk-canary-client-key-5c8e0d44';
  const cli = await startCli(['--config', 'test/fixtures/good.config.ts'], { TEST_CLIENT_KEY: clientKey });
  const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: clientKey, maxRetries: 0 });
  const res = await client.chat.completions.create({
    model: 'smart',
    messages: [{ role: 'user', content: `echo: ${canaryPrompt}` }],
  });
  assert.equal(res.choices[0].message.content, canaryPrompt, 'the completion itself carries the canary');
  const s = await client.chat.completions.create({
    model: 'smart',
    stream: true,
    messages: [{ role: 'user', content: `echo: ${canaryPrompt} again` }],
  });
  for await (const _ of s) {
    /* drain */
  }
  const bad = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'sk-wrong-key-canary-00000000', maxRetries: 0 });
  await assert.rejects(
    bad.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: canaryPrompt }] }),
    OpenAI.AuthenticationError,
  );
  const noKey = await fetch(`${cli.url}/v1/models`);
  assert.equal(noKey.status, 401);
  assert.equal(((await noKey.json()) as { error: { code: string } }).error.code, 'missing_api_key');
  const models = await client.models.list();
  assert.ok(models.data.some((m) => m.id === 'smart'));

  const code = await cli.stop('SIGTERM');
  assert.equal(code, 0);
  const logs = cli.stdout() + cli.stderr();
  const lines = cli
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const usage = lines.filter((l) => l.msg === 'request');
  assert.equal(usage.length, 3, 'one metadata line per model request');
  assert.equal(usage[0].usage.principalId, 'ci');
  assert.equal(usage[0].usage.project, 'p1');
  assert.equal(usage[0].usage.model, 'mock-large');
  assert.ok(usage[0].usage.completionTokens > 0);
  assert.ok(lines.some((l) => l.msg === 'switchyard stopped'));
  for (const secret of [canaryPrompt, clientKey, 'sk-wrong-key-canary-00000000']) {
    assert.ok(!logs.includes(secret), `${secret} must not appear in the logs`);
  }
});

test('zero-config enables the native providers from their own variables', async () => {
  const r = await runCli(['check'], {
    ANTHROPIC_API_KEY: 'sk-ant-zero-config-0000000000',
    GEMINI_API_KEY: 'AIza-zero-config-000000000000',
    COHERE_API_KEY: 'co-zero-config-00000000000000',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAZEROCONFIG0000',
    AWS_SECRET_ACCESS_KEY: 'secret-zero-config-0000000000000',
    AZURE_OPENAI_API_KEY: 'az-zero-config-000000000000',
    AZURE_OPENAI_ENDPOINT: 'https://example-resource.openai.azure.com',
  });
  assert.equal(r.code, 0, r.stderr);
  for (const name of ['anthropic', 'gemini', 'cohere', 'bedrock', 'azure-openai'])
    assert.match(r.stdout, new RegExp(`- ${name}\\b`), name);
  assert.ok(!/zero-config-0000/.test(r.stdout), 'no secret printed');
});

test('a governance section with a shared store needs a shared ledger (else each instance keeps its own)', async () => {
  const store = redis({ url: 'redis://127.0.0.1:1', prefix: 'never-connected:' });
  try {
    await assert.rejects(
      createGateway({ providers: [mock()], store, governance: { keys: [] }, logging: { level: 'silent' } }),
      (e: Error) =>
        e instanceof ConfigError &&
        /ledger is missing: the store is shared/.test(e.message) &&
        /postgresLedger/.test(e.message),
    );
    await assert.rejects(
      createGateway({ providers: [mock()], ledger: new SqliteLedger(':memory:'), logging: { level: 'silent' } }),
      (e: Error) => e instanceof ConfigError && /ledger is set but there is no governance section/.test(e.message),
    );
  } finally {
    await store.close();
  }
});

const COMPILED = existsSync(fileURLToPath(new URL('../../dist/core/cli.js', import.meta.url)));

test('JavaScript and TypeScript configs both run on the compiled build without the TypeScript loader', {
  skip: COMPILED ? false : 'no dist/ build (npm run build)',
}, async () => {
  const compiled = { sources: false };
  const check = await runCli(['check', '--config', 'test/fixtures/compiled.config.mjs'], {}, 20_000, compiled);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /runtime:\s+compiled JavaScript \(dist\/\)/);
  const ts = await runCli(
    ['check', '--config', 'test/fixtures/good.config.ts'],
    { TEST_CLIENT_KEY: 'sk-secret-client-key-987654321' },
    20_000,
    compiled,
  );
  assert.equal(ts.code, 0, ts.stderr);
  assert.match(ts.stdout, /runtime:\s+compiled JavaScript \(dist\/\)/, 'a .ts config is compiled alone');

  const cli = await startCli(['--config', 'test/fixtures/compiled.config.mjs', '--port', '0'], {}, compiled);
  try {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused' });
    const out = await client.chat.completions.create({
      model: 'mock-fast',
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.equal(out.object, 'chat.completion');
    assert.ok(out.usage!.total_tokens > 0);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
});
