/**
 * The installed switchyard-gateway package: its root folder (found from the sources or from dist/),
 * its version, and which build is running (compiled JavaScript in dist/, or the TypeScript sources
 * through tsx).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The name on the npm registry (the command stays `switchyard`). */
export const PACKAGE_NAME = 'switchyard-gateway';

const here = fileURLToPath(import.meta.url);

/** True when this process runs the compiled build (dist/), false for the TypeScript sources. */
export const RUNS_COMPILED = /[\\/]dist[\\/]core[\\/][^\\/]+$/.test(here);

let root: string | undefined;
let manifest: { name: string; version: string } | undefined;

/** The folder holding the package's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(here);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === PACKAGE_NAME) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${here}`);
    dir = up;
  }
}

export function packageVersion(): string {
  manifest ??= JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as typeof manifest;
  return manifest!.version;
}
