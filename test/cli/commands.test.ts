/**
 * The CLI's commands through the real `switchyard` command: --version, init, keys, port in use, no provider;
 * which build it runs; a project with the package linked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { mock } from '../../index.js';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const VERSION = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
const ADMIN = 'cli-admin-key-0123456789';
const GOVERNED = { providers: [mock()], governance: { adminKey: ADMIN, ledger: { path: ':memory:' } } };
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const runCommand = async (file: string, args: string[], cwd: string) =>
  (await promisify(execFile)(file, args, { cwd, env: cleanEnv(false) })).stdout;

const folder = async (name: string) => {
  const d = join(dir, name);
  await mkdir(d);
  return d;
};

test('switchyard --version and -v print the version; --help lists every command', async () => {
  for (const flag of ['--version', '-v']) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${VERSION}\n`);
  }
  const help = await runCli(['--help']);
  for (const line of [
    /switchyard init \[--config FILE\]/,
    /switchyard keys list/,
    /switchyard keys create \[--name N\]/,
    /switchyard keys revoke ID/,
    /--version, -v/,
    /SWITCHYARD_ADMIN_KEY/,
  ]) {
    assert.match(help.stdout, line);
  }
});

test('a mistyped option or command is named, with the one it is closest to, and nothing starts', async () => {
  const typo = await runCli(['start', '--prot', '4000']);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /^switchyard: unknown option --prot \(did you mean --port\?\)/);
  assert.doesNotMatch(typo.stderr, /positional argument/, "node's parseArgs advice about '--' is not for this CLI");
  assert.match(typo.stderr, /switchyard --help/);
  const far = await runCli(['check', '--frobnicate']);
  assert.equal(far.code, 1);
  assert.match(far.stderr, /^switchyard: unknown option --frobnicate; /);
  assert.doesNotMatch(far.stderr, /did you mean/);
  const short = await runCli(['start', '-x']);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /^switchyard: unknown option -x; /);
  const command = await runCli(['chek']);
  assert.equal(command.code, 1);
  assert.match(command.stderr, /^switchyard: unknown command "chek" \(did you mean switchyard check\?\)/);
  assert.match((await runCli(['deploy'])).stderr, /^switchyard: unknown command "deploy"\n/);
  // A missing value keeps parseArgs' own message, which says what is wrong.
  const missing = await runCli(['start', '--port']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--port <value>' argument missing/);
});

test('switchyard init without provider keys writes a working mock config, then refuses to overwrite it', async () => {
  const cwd = await folder('init-mock');
  const init = await runCli(['init'], {}, 20_000, { cwd });
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /wrote .*switchyard\.config\.ts with the mock provider/);
  const file = join(cwd, 'switchyard.config.ts');
  const text = await readFile(file, 'utf8');
  assert.match(text, /^import \{ defineConfig, mock \} from 'switchyard-gateway';$/m);
  assert.match(text, /\/\/ .*mock provider/, 'commented');
  const check = await runCli(['check'], {}, 20_000, { cwd });
  assert.equal(check.code, 0, check.stderr);
  assert.equal(check.stderr, '', 'no warning: a provider is enabled');
  assert.match(check.stdout, /- mock/);
  assert.match(check.stdout, /smart -> mock\/mock-large \| mock\/mock-small/);

  const again = await runCli(['init'], {}, 20_000, { cwd });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /switchyard\.config\.ts exists; init does not overwrite it/);
  assert.equal(await readFile(file, 'utf8'), text);
  // Another config kind in the folder counts too (it would be shadowed by the new .ts).
  const other = await folder('init-other');
  await writeFile(join(other, 'switchyard.config.mjs'), 'export default {};\n');
  const shadow = await runCli(['init'], {}, 20_000, { cwd: other });
  assert.equal(shadow.code, 1);
  assert.match(shadow.stderr, /switchyard\.config\.mjs exists/);
  assert.ok(!existsSync(join(other, 'switchyard.config.ts')));
});

test('switchyard init lists the providers whose keys are in the environment; check accepts the result', async () => {
  const cwd = await folder('init-env');
  const env = {
    OPENAI_API_KEY: 'sk-init-openai-000000000000',
    GROQ_API_KEY: 'gsk_init_0000000000000000',
    OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1',
    ANTHROPIC_API_KEY: 'sk-ant-init-000000000000',
    GEMINI_API_KEY: 'AIza-init-00000000000000',
    COHERE_API_KEY: 'co-init-0000000000000000',
    AZURE_OPENAI_API_KEY: 'az-init-00000000000000',
    AZURE_OPENAI_ENDPOINT: 'https://example-resource.openai.azure.com',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAINIT00000000',
    AWS_SECRET_ACCESS_KEY: 'secret-init-00000000000000000',
  };
  const init = await runCli(['init', '--config', 'gateway.config.ts'], env, 20_000, { cwd });
  assert.equal(init.code, 0, init.stderr);
  const text = await readFile(join(cwd, 'gateway.config.ts'), 'utf8');
  const factories = ['openai', 'groq', 'ollama', 'anthropic', 'gemini', 'azureOpenAI', 'cohere', 'bedrock'];
  assert.ok(text.includes(`providers: [${factories.map((f) => `${f}()`).join(', ')}]`), text);
  assert.ok(
    !/mock/.test(
      text
        .split('\n')
        .filter((l) => l.startsWith('import'))
        .join(),
    ),
    'no mock import',
  );
  for (const secret of Object.values(env).filter((v) => !v.startsWith('http') && v !== 'eu-west-1')) {
    assert.ok(!text.includes(secret), 'no key in the file');
  }
  const check = await runCli(['check', '--config', 'gateway.config.ts'], env, 20_000, { cwd });
  assert.equal(check.code, 0, check.stderr);
  for (const p of ['openai', 'groq', 'ollama', 'anthropic', 'gemini', 'azure-openai', 'cohere', 'bedrock']) {
    assert.match(check.stdout, new RegExp(`- ${p}\\b`));
  }
  // Without the keys, the written config says which one is missing.
  const missing = await runCli(['check', '--config', 'gateway.config.ts'], {}, 20_000, { cwd });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /OPENAI_API_KEY/);
});

test('switchyard check warns when no provider is enabled', async () => {
  const cwd = await folder('no-provider');
  const r = await runCli(['check'], {}, 20_000, { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /config OK\n$/);
  assert.match(r.stderr, /warning: no provider is enabled, so every model request will fail with 404/);
  assert.match(r.stderr, /switchyard init/);
});

test('switchyard start on a port in use says so and suggests --port', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const cwd = await folder('port-in-use');
    await writeFile(join(cwd, 'switchyard.config.mjs'), `export default { providers: [] };\n`);
    const r = await runCli(['start', '--port', String(port)], {}, 20_000, { cwd });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use .*` + 'switchyard start --port \\d+'),
    );
  } finally {
    blocker.close();
  }
});

const BUILT = existsSync(fileURLToPath(new URL('../../dist/core/cli.js', import.meta.url)));

test('the quickstart (npm start) runs on the compiled build, its .ts config compiled alone', {
  skip: BUILT ? false : 'no dist/ build (npm run build)',
}, async () => {
  const cwd = await folder('quickstart');
  const config = fileURLToPath(new URL('../../examples/quickstart/switchyard.config.ts', import.meta.url));
  const r = await runCli(['check', '--config', config], {}, 30_000, { cwd, sources: false });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /runtime:\s+compiled JavaScript \(dist\/\)/);
  assert.match(r.stdout, /plugins:\s+quickstart-local-access, dashboard/);
});

test('a project with the package linked from a clone (npm link): its command and its import', {
  skip: BUILT ? false : 'no dist/ build (npm run build)',
}, async () => {
  // What `npm link` + `npm link switchyard-gateway` leave behind: node_modules/switchyard-gateway -> the clone.
  const project = await folder('linked');
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'linked', version: '1.0.0' }));
  await mkdir(join(project, 'node_modules'));
  const clone = fileURLToPath(new URL('../..', import.meta.url));
  await symlink(clone, join(project, 'node_modules', 'switchyard-gateway'), 'dir');
  await writeFile(
    join(project, 'switchyard.config.ts'),
    "import { defineConfig, mock } from 'switchyard-gateway';\n" +
      "export default defineConfig({ providers: [mock({ models: ['linked-model'] })] });\n",
  );
  const bin = join(project, 'node_modules', 'switchyard-gateway', 'bin', 'switchyard.js');
  const r = await runCli(['check'], {}, 30_000, { bin, cwd: project, sources: false });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /models: linked-model\n/);
  const imported = await runCommand(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import { createGateway } from 'switchyard-gateway'; console.log(typeof createGateway);",
    ],
    project,
  );
  assert.equal(imported.trim(), 'function');
});

test('the command runs the build; the sources through tsx in a clone whose build is older or missing', async () => {
  // A stand-in package: the real bin/switchyard.js, a "build" and "sources" that only say which they are.
  const root = await folder('which-build');
  await mkdir(join(root, 'bin'));
  await copyFile(BIN, join(root, 'bin', 'switchyard.js'));
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'stand-in', type: 'module' }));
  await symlink(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(root, 'node_modules'), 'dir');
  await mkdir(join(root, 'dist', 'core'), { recursive: true });
  await mkdir(join(root, 'core'));
  const dist = join(root, 'dist', 'core', 'cli.js');
  const source = join(root, 'core', 'cli.ts');
  await writeFile(dist, "export async function main() { process.stdout.write('build\\n'); return 0; }\n");
  await writeFile(
    source,
    "export async function main(): Promise<number> {\n  process.stdout.write('sources\\n');\n" + '  return 0;\n}\n',
  );
  const bin = join(root, 'bin', 'switchyard.js');
  const run = (env: Record<string, string> = {}) => runCli([], env, 30_000, { bin, sources: 'auto' });
  const at = (file: string, seconds: number) => utimes(file, seconds, seconds);

  await at(source, 1_000_000);
  await at(dist, 2_000_000);
  assert.equal((await run()).stdout, 'build\n', 'an up-to-date build');
  await at(source, 3_000_000);
  assert.equal((await run()).stdout, 'build\n', 'not a clone: an installed package always runs its build');
  await mkdir(join(root, '.git'));
  const stale = await run();
  assert.equal(stale.stdout, 'sources\n', 'a clone with an older build runs the sources');
  assert.match(
    stale.stderr,
    /the build \(dist\/\) is older than the sources: running the sources through tsx; `npm run build`/,
  );
  assert.equal((await run({ SWITCHYARD_TSX: '0' })).stdout, 'build\n', 'SWITCHYARD_TSX=0 forces the build');
  await at(source, 1_000_000);
  assert.equal((await run({ SWITCHYARD_TSX: '1' })).stdout, 'sources\n', 'SWITCHYARD_TSX=1 forces the sources');
  await rm(join(root, 'dist'), { recursive: true });
  assert.equal((await run()).stdout, 'sources\n', 'no build at all');
});

test('switchyard keys create, list and revoke a virtual key on a running gateway', async () => {
  const t: TestGateway = await startGateway(GOVERNED);
  const keys = (args: string[], env: Record<string, string> = { SWITCHYARD_ADMIN_KEY: ADMIN }) =>
    runCli(['keys', ...args, '--url', t.url], env);
  try {
    const created = await keys([
      'create',
      '--name',
      'Web app',
      '--project',
      'web',
      '--id',
      'web-app',
      '--budget',
      '5/day',
      '--models',
      'mock-small, fast',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created key "web-app" \(project web\)/);
    const key = /^key: (sk-sy-\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(key, created.stdout);
    assert.match(created.stdout, /only time the key is shown/);

    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
    const ok = await client.chat.completions.create({
      model: 'mock-small',
      messages: [{ role: 'user', content: 'echo: hi' }],
    });
    assert.equal(ok.choices[0]!.message.content, 'hi');
    await assert.rejects(
      client.chat.completions.create({
        model: 'mock-large',
        messages: [{ role: 'user', content: 'x' }],
      }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 403,
      'the --models allow-list applies',
    );

    const list = await keys(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+NAME\s+PROJECT\s+STATUS\s+SOURCE\s+CREATED$/m);
    assert.match(list.stdout, /^web-app\s+Web app\s+web\s+active\s+runtime\s+\d{4}-/m);
    assert.ok(!list.stdout.includes(key), 'list never shows a key');
    const json = await keys(['list', '--json']);
    type Budget = { limitUsd: number; period: string };
    const listed = JSON.parse(json.stdout) as { data: Array<{ id: string; budgets: Budget[]; models: string[] }> };
    assert.deepEqual(listed.data[0]!.budgets, [{ limitUsd: 5, period: 'day' }]);
    assert.deepEqual(listed.data[0]!.models, ['mock-small', 'fast']);

    const revoked = await keys(['revoke', 'web-app']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /revoked key "web-app"/);
    await assert.rejects(
      client.chat.completions.create({
        model: 'mock-small',
        messages: [{ role: 'user', content: 'x' }],
      }),
      (e: unknown) => e instanceof OpenAI.AuthenticationError,
    );
    assert.match((await keys(['list'])).stdout, /^web-app\s+Web app\s+web\s+revoked/m);
  } finally {
    await t.close();
  }
});

test('switchyard keys: clear errors for a missing or wrong admin key, no gateway, no admin API', async () => {
  const t = await startGateway(GOVERNED);
  const plain = await startGateway({ providers: [mock()] });
  const free = createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
  const closedPort = (free.address() as AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  const keys = (args: string[], env: Record<string, string> = { SWITCHYARD_ADMIN_KEY: ADMIN }) =>
    runCli(['keys', ...args], env);
  const fails = async (args: string[], pattern: RegExp, env?: Record<string, string>) => {
    const r = await keys(args, env);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };
  try {
    await fails(['list', '--url', t.url], /needs the gateway's admin key: set SWITCHYARD_ADMIN_KEY/, {});
    await fails(['list', '--url', t.url], /refused the admin key \(invalid_api_key\)/, {
      SWITCHYARD_ADMIN_KEY: 'wrong-admin-key-0',
    });
    await fails(
      ['list', '--url', `http://127.0.0.1:${closedPort}`],
      new RegExp(`no gateway answers at http://127\\.0\\.0\\.1:${closedPort} .*switchyard start`),
    );
    await fails(['list', '--url', plain.url], /has no admin API .*governance section/);
    await fails(['revoke', 'nope', '--url', t.url], /No key with id "nope"\. \(HTTP 404 key_not_found\)/);
    await fails(['revoke', '--url', t.url], /keys revoke takes one key id/);
    await fails(['create', '--budget', 'lots', '--url', t.url], /--budget must be USD, optionally per period/);
    await fails(['create', '--id', 'bad id!', '--url', t.url], /id must match pattern .*\(HTTP 400 invalid_request\)/);
    await fails(['rotate', '--url', t.url], /unknown keys command "rotate"/);
    // SWITCHYARD_URL is the default address.
    const viaEnv = await keys(['list'], { SWITCHYARD_ADMIN_KEY: ADMIN, SWITCHYARD_URL: t.url });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(viaEnv.stdout, /no virtual keys/);
  } finally {
    await t.close();
    await plain.close();
  }
});
