#!/usr/bin/env node
// The `switchyard` command. A TypeScript config (switchyard.config.ts, the default) is loaded through
// tsx, and the gateway then runs from the TypeScript sources too, so that the config and the gateway
// share one copy of every module. With a JavaScript config (or none) and a compiled build (dist/,
// made by `npm run build` / on install), it runs plain JavaScript: no loader thread, ~30 MiB less
// memory. SWITCHYARD_TSX=1 forces the sources.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['switchyard.config.ts', 'switchyard.config.mts', 'switchyard.config.js', 'switchyard.config.mjs'];

function configFile(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--config' || a === '-c') return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
    if (a.startsWith('-c') && a.length > 2 && !a.startsWith('--')) return a.slice(2);
  }
  return CANDIDATES.find((c) => existsSync(resolve(c)));
}

const config = configFile(process.argv.slice(2));
const compiled = fileURLToPath(new URL('../dist/core/cli.js', import.meta.url));
const useSources = process.env.SWITCHYARD_TSX === '1' || /\.[cm]?tsx?$/.test(config ?? '') || !existsSync(compiled);

let main;
if (useSources) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../core/cli.ts'));
} else {
  ({ main } = await import('../dist/core/cli.js'));
}
process.exitCode = await main();
// Let pending log writes drain, then leave even if a plugin keeps a handle open.
setTimeout(() => process.exit(process.exitCode), 50).unref();
