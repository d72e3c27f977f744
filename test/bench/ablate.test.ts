/**
 * The ablation bench's variants (bench/ablate.ts): the list it accepts, and that every variant's config
 * file is one the real CLI accepts (`switchyard check`), so a run never measures a gateway that failed
 * to start or ignored its config.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { parseVariants, VARIANTS, variantSpec } from '../../bench/ablate.js';
import type { ServerSpec } from '../../bench/servers.js';

const run = promisify(execFile);
const CLI = new URL('../../bin/switchyard.js', import.meta.url).pathname;

const base: ServerSpec = {
  id: 'sy-zero',
  label: 'zero',
  process: 'zero',
  script: CLI,
  args: (p) => ['start', '--port', String(p)],
  env: {},
  cwd: os.tmpdir(),
  model: 'gpt-4o-mini',
};

describe('bench/ablate.ts variants', () => {
  test('every variant by default, base first; a list keeps its order after base and drops repeats', () => {
    assert.deepEqual(parseVariants(undefined), Object.keys(VARIANTS));
    assert.deepEqual(parseVariants('log-off, catalog-off,log-off'), ['base', 'log-off', 'catalog-off']);
    assert.deepEqual(parseVariants('catalog-off,base'), ['base', 'catalog-off']);
  });

  test('an unknown variant is refused with the closest name', () => {
    assert.throws(() => parseVariants('log-of'), /unknown variant "log-of" \(did you mean log-off\?\); known: base,/);
    assert.throws(
      () => parseVariants('nothing-like-it'),
      (e: Error) => !e.message.includes('did you mean'),
    );
  });

  test('base runs without a config file; the others pass theirs with --config', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'ablate-test-'));
    try {
      assert.deepEqual(variantSpec(base, 'base', work).args(4000), ['start', '--port', '4000']);
      const spec = variantSpec(base, 'log-off', work);
      const args = spec.args(4000);
      assert.deepEqual(args.slice(0, 4), ['start', '--port', '4000', '--config']);
      assert.equal(readFileSync(args[4]!, 'utf8'), 'export default { meter: { log: false } };\n');
      assert.equal(spec.cwd, path.dirname(args[4]!));
      assert.throws(() => variantSpec(base, 'nope', work), /unknown variant "nope"/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('the CLI accepts every variant config, and reports what it switched off', async () => {
    // what `switchyard check` prints for each (catalog and the log line have no line of their own)
    const expected: Record<string, RegExp[]> = {
      'log-off': [/^meter: +on$/m, /^failover: +\{/m],
      'meter-off': [/^meter: +off$/m, /^failover: +\{/m],
      'failover-off': [/^failover: +off$/m, /^meter: +on$/m],
      'catalog-off': [/^meter: +on$/m, /^failover: +\{/m],
    };
    const work = mkdtempSync(path.join(os.tmpdir(), 'ablate-test-'));
    try {
      const configured = Object.keys(VARIANTS).filter((n) => VARIANTS[n]!.config);
      assert.deepEqual(configured, Object.keys(expected));
      for (const name of configured) {
        const file = variantSpec(base, name, work).args(0)[4]!;
        const env = { ...process.env, OPENAI_API_KEY: 'sk-test-ablate' };
        const { stdout } = await run(process.execPath, [CLI, 'check', '--config', file], { env, cwd: work });
        assert.match(stdout, /^config OK$/m, `${name}: ${stdout}`);
        for (const re of expected[name]!) assert.match(stdout, re, `${name}: ${stdout}`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
