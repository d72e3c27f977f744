/**
 * The package as a newcomer gets it: `npm pack`, installed from the tarball into a fresh project
 * (`npm init -y`, so CommonJS) in the temp folder, then its `switchyard` command and an import of
 * `switchyard-gateway`. One install (the slow part, from the npm cache) serves every test here.
 * Install scripts are off (`--ignore-scripts`), as npm 11 does by default for dependencies, so the
 * optional native module better-sqlite3 is present but not built.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { countTokens as gptCount } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { cleanEnv, runCli, startCli, type CliOptions } from '../helpers/cli.js';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = existsSync(join(REPO, 'dist', 'core', 'cli.js'));
const skip = BUILT ? false : 'no dist/ build (npm run build)';
const VERSION = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version as string;

let tmp: string;
let app: string;
let installed: string;
let cli: CliOptions;

/** Run npm (or npx) in a folder, with the machine's npm cache and without our test environment. */
const npm = (cmd: 'npm' | 'npx', args: string[], cwd: string) =>
  exec(cmd, args, { cwd, env: userEnv(), maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });

/** A user's environment: no provider keys, and no SWITCHYARD_TSX (the command picks its build itself). */
const userEnv = () => cleanEnv('auto');

before(async () => {
  if (!BUILT) return;
  tmp = await mkdtemp(join(tmpdir(), 'switchyard-install-'));
  const packed = await npm('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO);
  const tarball = join(tmp, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  app = join(tmp, 'app');
  await mkdir(app);
  await npm('npm', ['init', '-y'], app);
  await npm('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], app);
  installed = join(app, 'node_modules', 'switchyard-gateway');
  cli = { bin: join(installed, 'bin', 'switchyard.js'), sources: 'auto' };
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function files(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), root) : [relative(root, join(dir, e.name)).split('\\').join('/')],
  );
}

test('the tarball ships the build, the command, docs and examples, and no tests, bench or scratch', { skip }, () => {
  const shipped = files(installed);
  for (const f of [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/switchyard.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/core/cli.js',
    'dist/dashboard/app.js',
    'dist/tokenizer/o200k_base.bpe',
    'docs/quickstart.md',
    'examples/quickstart/switchyard.config.ts',
  ]) {
    assert.ok(shipped.includes(f), `${f} is in the package`);
  }
  const unwanted = shipped.filter(
    (f) => /^(test|bench|scripts|deploy|\.tmp[^/]*|\.ci)\//.test(f) || /\.test\.ts$|\.tgz$|^docs\/images\//.test(f),
  );
  assert.deepEqual(unwanted, []);
  const native = join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  assert.ok(!existsSync(native), 'the native module is not built');
});

test('npx switchyard --version and -v print the version; --help lists every command', { skip }, async () => {
  for (const flag of ['--version', '-v']) {
    const r = await npm('npx', ['switchyard', flag], app);
    assert.equal(r.stdout, `${VERSION}\n`);
    assert.ok(!/older than the sources/.test(r.stderr), 'an installed package runs its build');
  }
  const help = await npm('npx', ['switchyard', '--help'], app);
  for (const c of [
    'switchyard start',
    'switchyard check',
    'switchyard init',
    'switchyard keys list',
    'switchyard keys create',
    'switchyard keys revoke',
    '--version',
  ]) {
    assert.ok(help.stdout.includes(c), `--help mentions ${c}`);
  }
});

test('the package imports by name from ES modules and from CommonJS', { skip }, async () => {
  const esm = await exec(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    import { createGateway, mock } from 'switchyard-gateway';
    const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' } });
    console.log(gw.providers.list().map((p) => p.name).join());
    await gw.close();`,
    ],
    { cwd: app, env: userEnv() },
  );
  assert.equal(esm.stdout.trim(), 'mock');
  // require() of an ES module graph (Node >= 20.19) works only without top-level await.
  const script = "const s = require('switchyard-gateway'); console.log(typeof s.createGateway, typeof s.defineConfig)";
  const cjs = await exec(process.execPath, ['-e', script], { cwd: app, env: userEnv() });
  assert.equal(cjs.stdout.trim(), 'function function');
  assert.ok(existsSync(join(installed, 'dist', 'index.d.ts')), 'types for TypeScript users');
});

test('token counts come from the shipped table, without gpt-tokenizer (only the build uses it)', { skip }, async () => {
  assert.ok(!existsSync(join(app, 'node_modules', 'gpt-tokenizer')), 'gpt-tokenizer is not installed');
  const tokens = pathToFileURL(join(installed, 'dist', 'core', 'tokens.js')).href;
  const text = 'Hello, world! naïve 日本語 <|endoftext|>';
  const script =
    `const t = await import(${JSON.stringify(tokens)}); await t.loadTokenizer();` +
    `console.log(t.countTokens(${JSON.stringify(text)}))`;
  const r = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: userEnv() });
  assert.equal(Number(r.stdout), gptCount(text, { disallowedSpecial: new Set() }));
});

const CONFIGS: Record<string, (model: string) => string> = {
  ts: (m) =>
    `import { defineConfig, mock } from 'switchyard-gateway';\nconst port: number = 0;\n` +
    `export default defineConfig({ server: { port }, providers: [mock({ models: ['${m}'] })] });\n`,
  js: (m) =>
    `import { defineConfig, mock } from 'switchyard-gateway';\n` +
    `export default defineConfig({ server: { port: 0 }, providers: [mock({ models: ['${m}'] })] });\n`,
  cjs: (m) =>
    `const { defineConfig, mock } = require('switchyard-gateway');\n` +
    `module.exports = defineConfig({ server: { port: 0 }, providers: [mock({ models: ['${m}'] })] });\n`,
};
const KINDS = {
  ts: CONFIGS.ts!,
  mts: CONFIGS.ts!,
  cts: CONFIGS.ts!,
  js: CONFIGS.js!,
  mjs: CONFIGS.js!,
  cjs: CONFIGS.cjs!,
};

test('a config of every kind loads in a CommonJS project, an ES module project, no package', { skip }, async () => {
  const esmProject = join(app, 'esm-project');
  await mkdir(esmProject);
  await writeFile(join(esmProject, 'package.json'), JSON.stringify({ name: 'esm-project', type: 'module' }));
  const outside = join(tmp, 'outside');
  await mkdir(outside);
  for (let d = outside; dirname(d) !== d; d = dirname(d)) {
    assert.ok(!existsSync(join(d, 'package.json')), `no package.json above ${outside}`);
  }

  // The package type changes the meaning of .ts and .js only; outside a package nothing resolves
  // switchyard-gateway but the command itself.
  const matrix = [
    ['commonjs', app, Object.keys(KINDS)],
    ['module', esmProject, ['ts', 'js']],
    ['outside', outside, ['ts', 'js', 'cjs']],
  ] as const;
  const runs: Array<() => Promise<void>> = [];
  for (const [place, root, exts] of matrix) {
    for (const ext of exts) {
      const body = KINDS[ext as keyof typeof KINDS];
      runs.push(async () => {
        const dir = join(root, `config-${ext}`);
        await mkdir(dir);
        const model = `model-${place}-${ext}`;
        await writeFile(join(dir, `switchyard.config.${ext}`), body(model));
        const r = await runCli(['check'], {}, 60_000, { ...cli, cwd: dir });
        assert.equal(r.code, 0, `${place} .${ext}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`config:\\s+\\S+switchyard\\.config\\.${ext}\\n`), `${place} .${ext} found`);
        assert.match(r.stdout, /runtime:\s+compiled JavaScript \(dist\/\)/, `${place} .${ext} runs the build`);
        assert.match(r.stdout, new RegExp(`models: ${model}\\n`), `${place} .${ext}`);
      });
    }
  }
  // Two at a time: the machine is shared.
  for (let i = 0; i < runs.length; i += 2) await Promise.all(runs.slice(i, i + 2).map((run) => run()));
});

test("start, .ts config, CommonJS project: the config's plugins share the gateway's modules", { skip }, async () => {
  const dir = join(app, 'start-ts');
  await mkdir(join(dir, 'plugins'), { recursive: true });
  // A local plugin file imported by the config: bundled with it, keeping its own import.meta.url.
  await writeFile(
    join(dir, 'plugins', 'teapot.ts'),
    `
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { definePlugin, GatewayError } from 'switchyard-gateway';

export const teapot = definePlugin<{ header: string }>({
  name: 'teapot',
  apply(gateway, { header }) {
    gateway.hooks.admit.tapPromise('teapot', async (ctx) => {
      ctx.responseHeaders['x-plugin-file'] = basename(fileURLToPath(import.meta.url));
      if (ctx.headers[header]) throw new GatewayError(418, 'I am a teapot, said the config', { code: 'teapot' });
    });
  },
});
`,
  );
  await writeFile(
    join(dir, 'switchyard.config.ts'),
    `
import { defineConfig, mock } from 'switchyard-gateway';
import { teapot } from './plugins/teapot';

export default defineConfig({ server: { port: 0 }, providers: [mock()], plugins: [teapot({ header: 'x-teapot' })] });
`,
  );
  const running = await startCli([], {}, { ...cli, cwd: dir });
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: hello' }] })
      .withResponse();
    assert.equal(data.choices[0]!.message.content, 'hello');
    assert.equal(response.headers.get('x-plugin-file'), 'teapot.ts', "import.meta.url is the plugin file's own");
    // 418 only if the pipeline recognises the config's GatewayError as its own class (else a 500).
    const err = await client.chat.completions
      .create({ model: 'mock-small', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-teapot': '1' } })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 418);
    assert.match(err.message, /I am a teapot, said the config/);
  } finally {
    assert.equal(await running.stop(), 0);
  }
});

test('without the native module a plain gateway runs; the SQLite ledger says how to build it', { skip }, async () => {
  const dir = join(app, 'ledger');
  await mkdir(dir);
  await writeFile(
    join(dir, 'switchyard.config.ts'),
    `
import { defineConfig, mock } from 'switchyard-gateway';
export default defineConfig({
  providers: [mock()], governance: { adminKey: 'admin-key-0123456789', ledger: { path: 'usage.db' } },
});
`,
  );
  const r = await runCli(['check'], {}, 60_000, { ...cli, cwd: dir });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /Invalid configuration: governance\.ledger uses the SQLite ledger, /);
  assert.match(r.stderr, /needs the optional native module better-sqlite3, and it cannot be loaded here/);
  assert.match(r.stderr, /npm rebuild better-sqlite3/);
  assert.match(r.stderr, /postgresLedger\(\)/);
  assert.ok(!existsSync(join(dir, 'usage.db')));
});

test('switchyard init in a fresh folder writes a config that check accepts; never overwrites', { skip }, async () => {
  const dir = join(app, 'init');
  await mkdir(dir);
  const init = await runCli(['init'], {}, 60_000, { ...cli, cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  const written = await readFile(join(dir, 'switchyard.config.ts'), 'utf8');
  assert.match(written, /from 'switchyard-gateway'/);
  assert.match(written, /providers: \[mock\(\)\]/);
  const check = await runCli(['check'], {}, 60_000, { ...cli, cwd: dir });
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /- mock/);
  const again = await runCli(['init'], {}, 60_000, { ...cli, cwd: dir });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists; init does not overwrite it/);
  assert.equal(await readFile(join(dir, 'switchyard.config.ts'), 'utf8'), written);
});
