/**
 * Plugins mount routes only through the core (`gateway.route`, `gateway.ingress`): no shipped plugin
 * mounts on `gateway.router` directly, which would go around authentication and `gateway.routes`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const MOUNT = /\brouter\s*(\.\s*(get|post|put|patch|delete|del|head|options|all|use|register)\s*\(|\[)/;

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'web') yield* sources(p);
    } else if (e.name.endsWith('.ts')) yield p;
  }
}

test('no plugin mounts a route on gateway.router', () => {
  const offenders: string[] = [];
  for (const file of sources(join(ROOT, 'plugins'))) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (MOUNT.test(line) && !line.trim().startsWith('*')) offenders.push(`${file.slice(ROOT.length + 1)}:${i + 1}`);
      });
  }
  assert.deepEqual(offenders, [], 'mount with gateway.route({...}) or gateway.ingress({...})');
});
