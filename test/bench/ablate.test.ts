/**
 * The ablation bench's variants (bench/ablate.ts): the list it accepts, and that every variant's config
 * file is one the real CLI accepts (`switchyard check`), so a run never measures a gateway that failed
 * to start or ignored its config.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import {
  type AblationResult,
  AGAINST,
  againstSpec,
  baseOf,
  parseVariants,
  productionSource,
  renderAblation,
  VARIANTS,
  variantSpec,
} from '../../bench/ablate.js';
import { BENCH_CLIENT_KEY } from '../../bench/common.js';
import { productionConfig } from '../../bench/scenarios.js';
import { replaceDocSection } from '../../bench/report.js';
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

  test('a production variant brings its own base, prod, and is compared with it', () => {
    assert.deepEqual(parseVariants('prod-cache-off'), ['base', 'prod', 'prod-cache-off']);
    assert.deepEqual(parseVariants('prod-log-off,log-off,prod'), ['base', 'prod', 'prod-log-off', 'log-off']);
    assert.equal(baseOf('prod-cache-off'), 'prod');
    assert.equal(baseOf('log-off'), 'base');
    assert.equal(baseOf('floor'), 'base');
    for (const [name, v] of Object.entries(VARIANTS)) {
      assert.equal(name.startsWith('prod'), v.of === 'prod', name);
      assert.equal(name.startsWith('prod'), v.virtualKey === true, name);
    }
  });

  test('the production configs: the bench scenario, each with exactly one part changed', () => {
    const full = JSON.parse(productionSource());
    // the scenario's own settings, but for the provider (from the environment) and the ledger's path
    const { providers, ...scenario } = productionConfig({ BENCH_LEDGER_PATH: './usage.db' });
    assert.equal(providers!.length, 1);
    assert.deepEqual(full, JSON.parse(JSON.stringify(scenario)));
    assert.equal(full.governance.ledger.path, './usage.db');
    assert.ok(full.governance.keys[0].budgets.length && full.governance.keys[0].limits.requestsPerMinute);
    assert.equal(full.governance.keys[0].key, BENCH_CLIENT_KEY);
    assert.equal(VARIANTS.prod!.config, productionSource());
    const changed = (name: string) => JSON.parse(VARIANTS[name]!.config!);
    assert.deepEqual(changed('prod-log-off'), { ...full, meter: { log: false } });
    const { cache: _cache, ...noCache } = full;
    assert.deepEqual(changed('prod-cache-off'), noCache);
    assert.deepEqual(changed('prod-metrics-off').governance, { ...full.governance, metrics: false });
    assert.deepEqual(changed('prod-limits-off').governance.keys, [
      { id: 'bench-app', key: BENCH_CLIENT_KEY, project: 'bench' },
    ]);
    assert.deepEqual(changed('prod-ledger-memory').governance.ledger, { path: ':memory:' });
    assert.deepEqual(changed('prod-pretenuring-on'), { ...full, server: { allocationSitePretenuring: true } });
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
      assert.equal(spec.authorization, undefined);
      assert.equal(variantSpec(base, 'prod-log-off', work).authorization, `Bearer ${BENCH_CLIENT_KEY}`);
      assert.throws(() => variantSpec(base, 'nope', work), /unknown variant "nope"/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test("--against: a twin runs the other checkout's build with the same config, compared with its variant", () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'ablate-test-'));
    try {
      const other = path.join(work, 'other');
      const spec = variantSpec(base, 'prod-log-off', work);
      // a checkout without a build is refused up front, not measured as a failed start
      assert.throws(() => againstSpec(spec, other), /no build there \(run `npm run build` in it first\)/);
      mkdirSync(path.join(other, 'dist', 'core'), { recursive: true });
      mkdirSync(path.join(other, 'bin'));
      writeFileSync(path.join(other, 'dist', 'core', 'cli.js'), '');
      writeFileSync(path.join(other, 'bin', 'switchyard.js'), '');
      const twin = againstSpec(spec, other);
      assert.equal(twin.id, `prod-log-off${AGAINST}`);
      assert.equal(twin.script, path.join(other, 'bin', 'switchyard.js'));
      assert.deepEqual(twin.args(4000), spec.args(4000));
      assert.equal(twin.cwd, spec.cwd);
      assert.equal(twin.authorization, spec.authorization);
      assert.equal(twin.env.SWITCHYARD_TSX, '0', "the build, never that checkout's sources through tsx");
      assert.equal(baseOf(twin.id), 'prod-log-off');
      assert.equal(baseOf(`base${AGAINST}`), 'base');
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
      'pretenuring-on': [/^server: .*allocation-site pretenuring kept on\)$/m, /^meter: +on$/m],
      prod: [/^auth: +governance$/m, /^cache: +\{\}$/m, /^meter: +on$/m],
      'prod-log-off': [/^auth: +governance$/m, /^cache: +\{\}$/m, /^meter: +on$/m],
      'prod-cache-off': [/^auth: +governance$/m, /^cache: +off$/m],
      'prod-metrics-off': [/^auth: +governance$/m, /^cache: +\{\}$/m],
      'prod-limits-off': [/^auth: +governance$/m, /^cache: +\{\}$/m],
      'prod-pretenuring-on': [/^auth: +governance$/m, /^server: .*allocation-site pretenuring kept on\)$/m],
      'prod-ledger-memory': [/^auth: +governance$/m, /^cache: +\{\}$/m],
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

  test('the doc section: one row per server, ratios from the result, a dash where a mode did not run', () => {
    const result: AblationResult = {
      date: '2026-12-06T22:58:53.534Z',
      node: 'v20.20.2',
      mode: 'both',
      settings: { windows: 5, rounds: 8, durationS: 5 },
      variants: {
        floor: {
          what: 'the floor',
          config: null,
          instructions: { windows: [1], median: 250315, vsBase: 0.681, vsFloor: 1 },
        },
        base: {
          what: VARIANTS.base!.what,
          config: null,
          instructions: { windows: [1], median: 367585, vsBase: 1, vsFloor: 1.4685 },
          load: {
            rounds: [],
            rps: 14866.4,
            cpuMsPerReq: 0.06851,
            rpsVsBase: 1,
            cpuVsBase: 1,
            rpsVsFloor: 0.672,
            cpuVsFloor: 1.561,
          },
        },
        'prod-log-off': {
          what: VARIANTS['prod-log-off']!.what,
          config: VARIANTS['prod-log-off']!.config!,
          change: VARIANTS['prod-log-off']!.change!,
          of: 'prod',
          instructions: { windows: [1], median: 500000, vsBase: 0.95, vsFloor: 2 },
        },
      },
    };
    const text = renderAblation(result);
    assert.match(text, /^## What each default costs\n/);
    assert.match(text, /windows 2-5 of 200 requests .* 8 rounds of 5 s/);
    const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Server'));
    assert.equal(rows.length, 3);
    assert.equal(rows[0], '| floor | – | 250,315 | 0.681x | 1.00x | – | – | – | – | – | – |');
    const cells = rows[1]!.split(' | ').slice(1);
    assert.match(rows[1]!, /^\| `base`: zero-config/);
    assert.deepEqual(cells, [
      '–',
      '367,585',
      '1.000x',
      '1.47x',
      '14,866',
      '1.00x',
      '0.67x',
      '0.0685 ms',
      '1.00x',
      '1.56x |',
    ]);
    // a production variant shows what it changes, not its whole config, and its ratio to prod
    assert.equal(
      rows[2],
      '| `prod-log-off`: production without the per-request usage line | + `meter: { log: false }` | 500,000 | ' +
        '0.950x | 2.00x | – | – | – | – | – | – |',
    );
  });

  test('replaceDocSection swaps one section and keeps the others; appends a missing one', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'ablate-test-'));
    const file = path.join(work, 'doc.md');
    try {
      writeFileSync(file, '# Doc\n\n## A\n\nold a\n\n## B\n\nold b\n\n## C\n\nc\n');
      replaceDocSection('B', '## B\n\nnew b\n', file);
      assert.equal(readFileSync(file, 'utf8'), '# Doc\n\n## A\n\nold a\n\n## B\n\nnew b\n\n## C\n\nc\n');
      replaceDocSection('C', '## C\n\nnew c', file);
      assert.equal(readFileSync(file, 'utf8'), '# Doc\n\n## A\n\nold a\n\n## B\n\nnew b\n\n## C\n\nnew c\n');
      replaceDocSection('D', '## D\n\nd\n', file);
      assert.match(readFileSync(file, 'utf8'), /## C\n\nnew c\n\n## D\n\nd\n$/);
      replaceDocSection('B title', '## B title\n\nx\n', file); // a heading that starts like another is its own
      assert.match(readFileSync(file, 'utf8'), /## B\n\nnew b\n/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
