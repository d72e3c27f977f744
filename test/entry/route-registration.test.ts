/**
 * Plugins mount routes only through the core (`gateway.route`, `gateway.ingress`): no shipped plugin
 * mounts on `gateway.router` directly, which would go around authentication and `gateway.routes`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createGateway, mock } from '../../index.js';

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

test('gateway.routes lists every route on the router: the OpenAI ingress as "openai", the probes public', async () => {
  const gw = await createGateway({
    providers: [mock()],
    passthrough: { estimateUsd: 0.001 },
    batches: {},
  });
  try {
    type Layer = { path: string | RegExp; methods: string[] };
    const stack = (gw.router as unknown as { stack: Layer[] }).stack;
    const listed = new Set(gw.routes.flatMap((r) => r.methods.map((m) => `${m} ${String(r.path)}`)));
    const unlisted: string[] = [];
    for (const layer of stack) {
      const methods = layer.methods.length > 10 ? ['ALL'] : layer.methods.filter((m) => m !== 'HEAD');
      for (const m of methods) if (!listed.has(`${m} ${String(layer.path)}`)) unlisted.push(`${m} ${layer.path}`);
    }
    assert.deepEqual(unlisted, [], 'every mounted route is in gateway.routes');
    const byPath = (method: string, path: string) =>
      gw.routes.find((r) => r.path === path && r.methods.includes(method));
    for (const path of ['/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/rerank', '/v1/batches']) {
      assert.deepEqual(
        { auth: byPath('POST', path)?.auth, ingress: byPath('POST', path)?.ingress },
        { auth: 'key', ingress: 'openai' },
        path,
      );
    }
    assert.equal(byPath('GET', '/v1/models/*id')?.ingress, 'openai');
    assert.equal(gw.routes.find((r) => r.methods.includes('ALL'))?.ingress, 'openai', 'the passthrough');
    for (const probe of ['/health', '/ready']) {
      const r = byPath('GET', probe);
      assert.equal(r?.auth, 'public', probe);
      assert.ok(r?.note, `${probe} says why it is public`);
    }
  } finally {
    await gw.close();
  }
});
