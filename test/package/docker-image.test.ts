/**
 * deploy/Dockerfile without a Docker engine (none on the build machine): the runtime stage's files are
 * laid out as the image has them (/app = package.json, bin/, dist/, node_modules/, switchyard.config.ts,
 * no TypeScript sources) and the image's config must pass `switchyard check` there. This caught a config
 * that imported '../index.js' (outside /app) and a build stage that could not compile dist/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
const skip = existsSync(join(root, 'dist', 'core', 'cli.js')) ? false : 'no build (dist/): run `npm run build`';

test('the build stage compiles dist/ with the dev tools before dropping them', () => {
  const run = dockerfile
    .split('\n')
    .filter((l) => l.startsWith('RUN '))
    .join('\n');
  assert.match(
    run,
    /npm ci(?![^&]*--omit=dev)[^&]*&& npm prune --omit=dev/,
    'npm ci (with dev deps, so prepare builds dist/) then prune',
  );
  for (const f of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'index.ts',
    'bin',
    'core',
    'plugins',
    'scripts',
  ]) {
    assert.match(dockerfile, new RegExp(`COPY [^\\n]*\\b${f.replace('.', '\\.')}\\b`), `the build stage copies ${f}`);
  }
});

test('the runtime stage as laid out in the image: its config passes `switchyard check` without sources', {
  skip,
}, async () => {
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  for (const f of [
    'node_modules',
    'dist',
    'package.json',
    'bin',
    'deploy/switchyard.config.ts ./switchyard.config.ts',
  ]) {
    assert.ok(runtime.includes(f), `the runtime stage copies ${f}`);
  }
  assert.doesNotMatch(runtime, /COPY (core|plugins|index\.ts)/, 'the image runs the build, not the sources');
  const app = mkdtempSync(join(tmpdir(), 'sy-image-'));
  try {
    for (const f of ['package.json', 'bin', 'dist']) cpSync(join(root, f), join(app, f), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
    cpSync(join(root, 'deploy', 'switchyard.config.ts'), join(app, 'switchyard.config.ts'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://root@127.0.0.1:5432/test',
      SWITCHYARD_ADMIN_KEY: 'image-admin-key-0123456789',
      OPENAI_API_KEY: 'sk-image-test',
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/switchyard.js', 'check', '--config', 'switchyard.config.ts'],
      { cwd: app, env, timeout: 120_000 },
    );
    assert.match(stdout, /config OK/);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('the Dockerfile, the systemd unit and the Kubernetes manifest run the gateway with two malloc arenas', () => {
  // bench/profile-notes.md, eighth round: ~10 MiB of idle RSS in about a third of the starts without it
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(runtime, /^ENV [^\n]*\bMALLOC_ARENA_MAX=2\b/m);
  const unit = readFileSync(join(root, 'deploy', 'switchyard.service'), 'utf8');
  assert.match(unit, /^Environment=[^\n]*\bMALLOC_ARENA_MAX=2\b/m);
  const k8s = readFileSync(join(root, 'deploy', 'k8s', 'switchyard.yaml'), 'utf8');
  assert.match(k8s, /- \{ name: MALLOC_ARENA_MAX, value: "2" \}/);
});
