/**
 * runWaterfall, runSeries and runBail (core/hooks.ts) call a hook's taps themselves: for every kind of tap
 * (sync, promise, callback) they give what tapable's own hook.promise() gives, in the same order, with the
 * same failures; with an interceptor they leave the call to tapable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tapable } from '../../core/cjs-packages.js';
import { runBail, runSeries, runWaterfall } from '../../core/hooks.js';

type Ctx = { seen: string[] };

/** The same taps on a fresh hook: one of each kind, in stages out of order. */
function waterfall(fail?: 'throw' | 'reject' | 'callback' | 'not-a-promise') {
  const hook = new tapable.AsyncSeriesWaterfallHook<[number, Ctx]>(['n', 'ctx']);
  hook.tapPromise({ name: 'double', stage: 10 }, async (n, ctx) => {
    ctx.seen.push('double');
    if (fail === 'reject') throw new Error('rejected');
    return n * 2;
  });
  hook.tap({ name: 'plus-one', stage: -10 }, (n, ctx) => {
    ctx.seen.push('plus-one');
    if (fail === 'throw') throw new Error('thrown');
    return n + 1;
  });
  hook.tap('keep', (_n, ctx) => {
    ctx.seen.push('keep'); // undefined: the running value stays
    return undefined as unknown as number;
  });
  hook.tapAsync({ name: 'minus-three', stage: 20 }, (n, ctx, done) => {
    ctx.seen.push('minus-three');
    if (fail === 'callback') done(new Error('called back'));
    else setImmediate(() => done(null, n - 3));
  });
  if (fail === 'not-a-promise') hook.tapPromise('bad', (() => 5) as unknown as () => Promise<number>);
  return hook;
}

async function outcome<T>(run: () => Promise<T>, ctx: Ctx): Promise<{ value?: T; error?: string; seen: string[] }> {
  try {
    return { value: await run(), seen: ctx.seen };
  } catch (e) {
    return { error: (e as Error).message, seen: ctx.seen };
  }
}

test('runWaterfall: the same values, order and failures as tapable', async () => {
  for (const fail of [undefined, 'throw', 'reject', 'callback', 'not-a-promise'] as const) {
    const a = { seen: [] };
    const b = { seen: [] };
    const ours = await outcome(() => runWaterfall(waterfall(fail), 4, a), a);
    const theirs = await outcome(() => waterfall(fail).promise(4, b), b);
    assert.deepEqual(ours, theirs, String(fail));
  }
  const ctx = { seen: [] };
  assert.equal(await runWaterfall(waterfall(), 4, ctx), 7); // (4 + 1) * 2 - 3
  assert.deepEqual(ctx.seen, ['plus-one', 'keep', 'double', 'minus-three']);
  assert.equal(await runWaterfall(new tapable.AsyncSeriesWaterfallHook<[number, Ctx]>(['n', 'ctx']), 9, ctx), 9);
});

test('runSeries and runBail: the same order, bail value (null bails) and failures as tapable', async () => {
  const series = (fail?: boolean) => {
    const hook = new tapable.AsyncSeriesHook<[Ctx]>(['ctx']);
    hook.tap('a', (ctx) => void ctx.seen.push('a'));
    hook.tapPromise('b', async (ctx) => {
      ctx.seen.push('b');
      if (fail) throw new Error('refused');
    });
    hook.tapAsync('c', (ctx, done) => {
      ctx.seen.push('c');
      done();
    });
    return hook;
  };
  for (const fail of [false, true]) {
    const a = { seen: [] };
    const b = { seen: [] };
    assert.deepEqual(
      await outcome(() => runSeries(series(fail), a), a),
      await outcome(() => series(fail).promise(b), b),
    );
  }
  const bail = (answer: unknown) => {
    const hook = new tapable.AsyncSeriesBailHook<[Ctx], unknown>(['ctx']);
    hook.tap('none', (ctx) => void ctx.seen.push('none'));
    hook.tapPromise('answers', async (ctx) => {
      ctx.seen.push('answers');
      return answer;
    });
    hook.tap('after', (ctx) => {
      ctx.seen.push('after');
      return 'last';
    });
    return hook;
  };
  for (const answer of [undefined, null, 0, 'hit']) {
    const a = { seen: [] };
    const b = { seen: [] };
    const ours = await outcome(() => runBail(bail(answer), a), a);
    assert.deepEqual(ours, await outcome(() => bail(answer).promise(b), b), String(answer));
  }
  const ctx = { seen: [] };
  assert.equal(await runBail(bail(null), ctx), null);
  assert.deepEqual(ctx.seen, ['none', 'answers']);
});

test('with an interceptor, tapable runs the hook (the interceptor sees every call and tap)', async () => {
  const hook = waterfall();
  const calls: string[] = [];
  hook.intercept({ call: () => void calls.push('call'), tap: (tap) => void calls.push(`tap:${tap.name}`) });
  const ctx = { seen: [] };
  assert.equal(await runWaterfall(hook, 4, ctx), 7);
  assert.deepEqual(calls, ['call', 'tap:plus-one', 'tap:keep', 'tap:double', 'tap:minus-three']);
});
