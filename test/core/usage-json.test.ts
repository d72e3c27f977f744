/**
 * The usage record written as JSON bytes (core/usage-json.ts): for every record `usageRecord` builds it
 * writes what JSON.stringify writes, and for any other shape it declines so the caller stringifies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { usageRecord } from '../../core/pipeline.js';
import type { UsageRecord } from '../../core/usage.js';
import { usageJsonBytes } from '../../core/usage-json.js';

const text = (r: object) => {
  const b = usageJsonBytes(r as UsageRecord);
  return b === undefined ? undefined : Buffer.from(b).toString('utf8');
};

interface Shape {
  principal?: { id: string; project?: string };
  endUser?: string;
  target?: boolean;
  cache?: 'miss' | 'hit' | 'bypass';
  ttftMs?: number;
  attempts: number;
  hedge?: boolean;
  cancelled?: boolean;
  code?: string | null;
  details?: boolean;
  estimated?: boolean;
  shadow?: boolean;
  costUsd?: number;
  batch?: boolean;
  status: number;
  error?: string;
}

/** A request context with what usageRecord reads, shaped by `s`. */
function context(s: Shape, i: number): RequestContext {
  const target = { provider: 'openai', model: `gpt-4o-mini-${i % 3}` };
  const attempts = Array.from({ length: s.attempts }, (_, k) => ({
    provider: k ? 'azure' : 'openai',
    model: 'gpt-4o-mini',
    status: k === s.attempts - 1 ? s.status : 503,
    code: k === s.attempts - 1 ? s.code : 'upstream_error',
    latencyMs: 12.345678 + k + i / 7,
    ...(s.hedge && k === 1 ? { hedge: true } : {}),
    ...(s.cancelled && k === 0 ? { cancelled: true } : {}),
  }));
  return {
    id: `9b2f3c1e-7a44-4d2b-9a51-${String(100000000000 + i)}`,
    time: 1_796_600_000_000 + i,
    operation: 'chat',
    dialect: i % 2 ? 'anthropic' : 'openai',
    principal: s.principal,
    endUser: s.endUser,
    requestedModel: 'fast',
    target: s.target ? target : undefined,
    stream: i % 2 === 1,
    cache: s.cache,
    startedAt: performance.now() - 3.21 - i,
    ttftMs: s.ttftMs,
    attempts,
    usage: {
      prompt_tokens: 11 + i,
      completion_tokens: i % 4 ? 7 : 0,
      total_tokens: 18 + i,
      ...(s.details
        ? { prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } }
        : {}),
    },
    usageEstimated: s.estimated,
    isShadow: s.shadow,
    costUsd: s.costUsd,
    batch: s.batch,
  } as unknown as RequestContext;
}

/** Every combination of the optional parts, a few values each. */
function* shapes(): Generator<Shape> {
  for (const principal of [undefined, { id: 'app' }, { id: 'app-2', project: 'web' }])
    for (const target of [false, true])
      for (const attempts of [0, 1, 3])
        for (const status of [200, 429, 499])
          for (const extra of [0, 1, 2, 3])
            yield {
              principal,
              target,
              attempts,
              status,
              endUser: extra === 1 ? 'user-42' : undefined,
              cache: (['miss', undefined, 'hit', 'bypass'] as const)[extra],
              ttftMs: extra >= 2 ? 0.123 : undefined,
              hedge: extra === 2,
              cancelled: extra === 3,
              code: extra === 0 ? undefined : extra === 1 ? null : 'rate_limited',
              details: extra >= 2,
              estimated: extra === 3 ? true : undefined,
              shadow: extra === 2 ? true : undefined,
              batch: extra === 1 ? true : undefined,
              error: status >= 400 ? 'rate_limited' : undefined,
            };
}

describe('usageJsonBytes', () => {
  test("every record usageRecord builds, then priced by the catalog: JSON.stringify's bytes", () => {
    let n = 0;
    for (const s of shapes()) {
      const ctx = context(s, n);
      const error = s.error ? new GatewayError(s.status, 'x', { code: s.error }) : undefined;
      const r = usageRecord(ctx, s.status, error);
      assert.equal(text(r), JSON.stringify(r), `shape ${JSON.stringify(s)}`);
      // the catalog's meter tap adds the costs after the record is built
      r.costUsd = 0.000_012_3 * (n % 5);
      r.listCostUsd = 1.5e-7;
      assert.equal(text(r), JSON.stringify(r), `priced, shape ${JSON.stringify(s)}`);
      n++;
    }
    assert.equal(n, 216);
  });

  test('costs set by the ingress (usageRecord puts them before the attempt log): the same value', () => {
    const r = usageRecord(context({ attempts: 1, status: 200, target: true, costUsd: 0.25, batch: true }, 1), 200);
    const t = text(r);
    assert.ok(t);
    assert.notEqual(t, JSON.stringify(r)); // the costs come last here
    assert.deepEqual(JSON.parse(t), JSON.parse(JSON.stringify(r)));
  });

  test('numbers as JSON writes them: integers past 2^31, fractions, exponents, -0, NaN and Infinity', () => {
    const base = usageRecord(context({ attempts: 1, status: 200, target: true }, 3), 200);
    for (const v of [
      0,
      -0,
      9,
      10,
      99,
      100,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 53,
      1e21,
      1.5e-7,
      0.1 + 0.2,
      -3,
      NaN,
      Infinity,
    ]) {
      const r = { ...base, promptTokens: v, latencyMs: v };
      assert.equal(text(r), JSON.stringify(r), String(v));
    }
  });

  test('numbers written from their digits (times in ms, latencies in whole µs) read as JSON writes them', () => {
    const base = usageRecord(context({ attempts: 1, status: 200, target: true }, 4), 200);
    const values = [0.001, 0.01, 0.1, 0.5, 0.999, 1.001, 1.01, 1.1, 12.3, 12.34, 12.345, 999_999_999.999, 1e9 - 0.5];
    values.push(Date.now(), 2 ** 31 + 7, 2 ** 40, Number.MAX_SAFE_INTEGER, 1_796_600_000_123);
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 20_000; i++) {
      const scale = 10 ** Math.floor(random() * 12 - 3); // 0.001 .. 1e8
      const x = random() * scale;
      values.push(Math.round(x * 1000) / 1000, x, Math.floor(x * 1e6), Math.round(x * 100) / 100);
    }
    for (const v of values) {
      const r = { ...base, time: Math.floor(v), latencyMs: v, ttftMs: v, costUsd: v };
      r.attemptLog = [{ ...base.attemptLog![0]!, latencyMs: v }];
      assert.equal(text(r), JSON.stringify(r), String(v));
    }
  });

  test('declines what it does not know, so the caller uses JSON.stringify', () => {
    const good = () => usageRecord(context({ attempts: 2, status: 200, target: true, principal: { id: 'a' } }, 5), 200);
    assert.ok(text(good()));
    const declined: Array<[string, (r: Record<string, unknown>) => void]> = [
      ['a field a plugin added', (r) => (r.region = 'eu')],
      ['the billed units of a media request', (r) => (r.units = { images: 1 })],
      ['guardrail verdicts', (r) => (r.guardrails = [])],
      ['a cache hit saving', (r) => (r.cacheSavedTokens = 10)],
      ['an optional field set to undefined', (r) => (r.endUser = undefined)],
      ['a field deleted and another added', (r) => (delete r.provider, (r.other = 1))],
      ['a string to escape', (r) => (r.requestedModel = 'say "hi"')],
      ['a backslash', (r) => (r.requestedModel = 'a\\b')],
      ['a control character', (r) => (r.endUser = 'a\nb')],
      ['a non-ASCII string', (r) => (r.requestedModel = 'modèle')],
      ['a long string', (r) => (r.model = 'm'.repeat(300))],
      ['a number as a string', (r) => (r.status = '200')],
      ['a boolean as a number', (r) => (r.stream = 0)],
      ['a toJSON', (r) => (r.toJSON = () => ({}))],
      ['an attempt with another field', (r) => ((r.attemptLog as Array<Record<string, unknown>>)[0]!.x = 1)],
      ['an attempt without code', (r) => delete (r.attemptLog as Array<Record<string, unknown>>)[0]!.code],
      ['an attempt that is not an object', (r) => ((r.attemptLog as unknown[])[1] = 'x')],
      ['an attempt target to escape', (r) => ((r.attemptLog as Array<Record<string, unknown>>)[1]!.target = 'a"b')],
      ['no attempt log', (r) => (r.attemptLog = undefined)],
      [
        'a long attempt log',
        (r) =>
          (r.attemptLog = Array.from({ length: 40 }, () => ({
            target: 'a/b',
            status: 500,
            code: null,
            latencyMs: 1,
          }))),
      ],
    ];
    for (const [what, change] of declined) {
      const r = good() as unknown as Record<string, unknown>;
      change(r);
      assert.equal(text(r), undefined, what);
    }
    assert.equal(usageJsonBytes(Object.assign(Object.create({ inherited: 1 }), good())), undefined, 'a prototype');
  });

  test('the bytes are a view of one buffer: the next call overwrites them', () => {
    const a = usageRecord(context({ attempts: 1, status: 200, target: true }, 1), 200);
    const b = usageRecord(context({ attempts: 0, status: 429, target: false }, 2), 429);
    const first = usageJsonBytes(a)!;
    const kept = Buffer.from(first).toString();
    usageJsonBytes(b);
    assert.equal(kept, JSON.stringify(a));
    assert.notEqual(Buffer.from(first).toString(), kept);
  });
});
