#!/usr/bin/env node
// The `switchyard` command. It runs the compiled build (dist/, made by `npm run build`, on install of a
// clone, and shipped in the package) with no loader in the process, whatever the config's language: the
// config alone is compiled (core/config-loader.ts). The TypeScript sources run through tsx instead when
// there is no build, when the build is older than the sources (in a git clone being edited), or with
// SWITCHYARD_TSX=1; SWITCHYARD_TSX=0 forces the build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'core', 'cli.js');

/** The newest modification time of the gateway's TypeScript sources (index.ts, core/, plugins/). */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'web') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  if (existsSync(join(root, 'index.ts'))) newest = statSync(join(root, 'index.ts')).mtimeMs;
  for (const d of ['core', 'plugins']) if (existsSync(join(root, d))) walk(join(root, d));
  return newest;
}

function useSources() {
  if (process.env.SWITCHYARD_TSX === '1') return true;
  if (!existsSync(compiled)) return true;
  if (process.env.SWITCHYARD_TSX === '0') return false;
  // Only a clone is edited (an installed package's files all get the install's time, in any order).
  if (!existsSync(join(root, '.git'))) return false;
  if (newestSource() > statSync(compiled).mtimeMs) {
    process.stderr.write(
      'switchyard: the build (dist/) is older than the sources: running the sources through tsx; ' +
        '`npm run build` makes it use the build again\n',
    );
    return true;
  }
  return false;
}

let main;
if (useSources()) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../core/cli.ts'));
} else {
  ({ main } = await import('../dist/core/cli.js'));
}
process.exitCode = await main();
// Let pending log writes drain, then leave even if a plugin keeps a handle open.
setTimeout(() => process.exit(process.exitCode), 50).unref();
