/**
 * Loading config files (core/config-loader.ts): one module instance shared with the gateway, each
 * bundled file's own location, clear errors; and the optional native SQLite module (core/optional-deps.ts).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../core/config-loader.js';
import { openSqlite } from '../../core/optional-deps.js';
import { ConfigError, createGateway, GatewayError, mock } from '../../index.js';

const INDEX = new URL('../../index.js', import.meta.url).pathname;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-loader-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the package name and relative paths into its sources load the modules the gateway runs', async () => {
  const file = join(dir, 'identity.config.ts');
  await writeFile(
    file,
    `
import { GatewayError as ByName, mock } from 'switchyard-gateway';
import { GatewayError as ByPath } from ${JSON.stringify(INDEX)};
export default { providers: [mock()], byName: ByName, byPath: ByPath };
`,
  );
  const { config, source } = await loadConfig(file);
  assert.equal(source, file);
  const c = config as unknown as { byName: unknown; byPath: unknown };
  assert.equal(c.byName, GatewayError, "switchyard-gateway is this process's own copy");
  assert.equal(c.byPath, GatewayError, 'a relative import of index.ts is too');
});

test('bundled local files keep their own import.meta.url, __dirname and __filename', async () => {
  const sub = join(dir, 'where', 'lib');
  await mkdir(sub, { recursive: true });
  await writeFile(
    join(sub, 'place.ts'),
    `
export const url: string = import.meta.url;
export const dir: string = import.meta.dirname;
`,
  );
  await writeFile(join(sub, 'legacy.cjs'), 'module.exports = { dir: __dirname, file: __filename };\n');
  const file = join(dir, 'where', 'switchyard.config.mts');
  await writeFile(
    file,
    `
import { url, dir } from './lib/place.js';
import legacy from './lib/legacy.cjs';
export default { url, dir, legacy, own: import.meta.url };
`,
  );
  const { config } = await loadConfig(file);
  assert.deepEqual(config, {
    url: pathToFileURL(join(sub, 'place.ts')).href,
    dir: sub,
    legacy: { dir: sub, file: join(sub, 'legacy.cjs') },
    own: pathToFileURL(file).href,
  });
});

test('config mistakes: syntax, a missing import, the old package name, no default export', async () => {
  const write = async (name: string, text: string) => {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  };
  const syntax = await write('syntax.config.ts', 'export default { providers: [ };\n');
  await assert.rejects(
    loadConfig(syntax),
    /Could not load .*syntax\.config\.ts: syntax\.config\.ts:1:31: Unexpected "\}"/,
  );
  const located = await write('located.config.ts', 'const here = import.meta.url; export default { here, x: [ };\n');
  await assert.rejects(loadConfig(located), /located\.config\.ts:1:59: Unexpected "\}"/, 'columns as in the file');
  const missing = await write('missing.config.ts', "import x from 'no-such-package-here';\nexport default x;\n");
  await assert.rejects(loadConfig(missing), /Could not resolve "no-such-package-here"/);
  const oldName = await write('old-name.config.ts', "import { mock } from 'switchyard';\nexport default { mock };\n");
  await assert.rejects(
    loadConfig(oldName),
    /Could not resolve "switchyard" \(The package is named switchyard-gateway: import from 'switchyard-gateway'\.\)/,
  );
  const subpath = await write('subpath.config.ts', "export { x as default } from 'switchyard-gateway/dist/index.js';");
  await assert.rejects(loadConfig(subpath), /is not exported by switchyard-gateway/);
  const noDefault = await write('no-default.config.ts', 'export const config = {};\n');
  await assert.rejects(loadConfig(noDefault), /has no default export/);
  const throws = await write('throws.config.ts', "throw new Error('Set MY_KEY in the environment.');\n");
  await assert.rejects(loadConfig(throws), /Could not load .*throws\.config\.ts: Set MY_KEY in the environment\./);
  await assert.rejects(loadConfig(join(dir, 'absent.config.ts')), /Config file not found/);
});

test('a gateway without the SQLite ledger never loads better-sqlite3', async () => {
  const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' } });
  await gw.close();
  const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache);
  assert.ok(!loaded.some((p) => p.includes('/better-sqlite3/')), 'better-sqlite3 is not in the require cache');
});

test('the SQLite ledger without its native module: a ConfigError that says how to build it', () => {
  const notInstalled = () => {
    const message = "Cannot find module 'better-sqlite3'\nRequire stack:\n- /x/optional-deps.js";
    throw Object.assign(new Error(message), { code: 'MODULE_NOT_FOUND' });
  };
  assert.throws(
    () => openSqlite(':memory:', notInstalled),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'governance.ledger' &&
      /needs the optional native module better-sqlite3, and it cannot be loaded here/.test(e.message) &&
      /\(Cannot find module 'better-sqlite3'\)/.test(e.message) &&
      /npm rebuild better-sqlite3/.test(e.message) &&
      /python3, make and g\+\+/.test(e.message) &&
      !e.message.includes('\n'),
  );
  // Installed with its install script blocked: the JavaScript loads, the first database does not.
  const notBuilt = () =>
    function Database() {
      throw new Error('Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node\n → /x/b.node');
    };
  assert.throws(
    () => openSqlite(':memory:', notBuilt),
    (e: unknown) =>
      e instanceof ConfigError && /cannot be loaded here \(Could not locate the bindings file\.\)/.test(e.message),
  );
  // Other failures (a path that cannot be opened) keep their own message.
  assert.throws(
    () => openSqlite('/nonexistent-dir-for-switchyard/usage.db'),
    (e: unknown) => !(e instanceof ConfigError),
    'a path that cannot be opened keeps its own error',
  );
  const db = openSqlite(':memory:');
  assert.equal((db.prepare('SELECT 1 AS one').get() as { one: number }).one, 1);
  db.close();
});
