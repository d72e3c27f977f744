/**
 * A round's phase measured in slices (bench/slices.ts): every server's 1 s slices alternate with the
 * others', and a server's slices are joined into its figure for the round.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PhaseResult } from '../../bench/report.js';
import { joinSlices, sliceOrder } from '../../bench/slices.js';

const stats = (p50: number, max = p50) => ({ p50, p90: p50 * 2, p99: p50 * 3, mean: p50, max });

function slice(requests: number, seconds: number, cpuMs: number, p50: number, extra: Partial<PhaseResult> = {}) {
  return {
    requests,
    errors: 0,
    seconds,
    rps: requests / seconds,
    latency: stats(p50),
    cpuMs,
    cpuMsPerReq: cpuMs / requests,
    ...extra,
  } satisfies PhaseResult;
}

test('joined slices: totals summed, rates and CPU per request over the totals, not averaged per slice', () => {
  const r = joinSlices([slice(1000, 1, 100, 2), slice(3000, 1, 150, 4, { errors: 2 }), slice(2000, 2, 250, 3)]);
  assert.equal(r.requests, 6000);
  assert.equal(r.errors, 2);
  assert.equal(r.seconds, 4);
  assert.equal(r.rps, 1500); // 6000 / 4 s, not the mean of 1000, 3000 and 1000
  assert.ok(Math.abs(r.cpuMsPerReq! - 500 / 6000) < 1e-12); // the CPU of all slices over all requests
  // Percentiles: the slices' own, weighted by their requests (2, 4, 3 -> (2000 + 12000 + 6000) / 6000).
  assert.ok(Math.abs(r.latency.p50 - 20_000 / 6000) < 1e-12);
  assert.ok(Math.abs(r.latency.p99 - 60_000 / 6000) < 1e-12);
  assert.equal(r.latency.max, 4);
  assert.equal(r.ttfb, undefined);
  assert.equal(r.cpuUsPerChunk, undefined);
});

test('joined slices of streams keep TTFB, CPU per chunk and the highest RSS', () => {
  const r = joinSlices([
    slice(20, 1, 10, 40, { ttfb: stats(2, 5), cpuUsPerChunk: 25, rssMaxMiB: 90 }),
    slice(30, 1, 24, 42, { ttfb: stats(3, 9), cpuUsPerChunk: 40, rssMaxMiB: 95 }),
  ]);
  assert.ok(Math.abs(r.ttfb!.p50 - (20 * 2 + 30 * 3) / 50) < 1e-12);
  assert.equal(r.ttfb!.max, 9);
  // 20 events a stream (0.5 ms a stream -> 25 µs an event; 0.8 -> 40): 34 ms of CPU over 50 streams.
  assert.ok(Math.abs(r.cpuUsPerChunk! - ((34 / 50) * 1000) / 20) < 1e-9);
  assert.equal(r.rssMaxMiB, 95);
});

test('one slice is returned as measured; none is refused', () => {
  const one = slice(500, 1, 50, 1);
  assert.deepEqual(joinSlices([one]), one);
  assert.throws(() => joinSlices([]), /no slices/);
});

test('a slice without a completed request adds its time, errors and CPU, not its NaN figures', () => {
  const empty = { ...slice(1, 1, 30, 0), requests: 0, errors: 64, rps: 0, cpuMsPerReq: NaN, latency: stats(NaN) };
  const r = joinSlices([slice(1000, 1, 100, 2), empty]);
  assert.equal(r.requests, 1000);
  assert.equal(r.errors, 64);
  assert.equal(r.seconds, 2);
  assert.equal(r.rps, 500);
  assert.equal(r.latency.p50, 2);
  assert.ok(Math.abs(r.cpuMsPerReq! - 0.13) < 1e-12); // its 30 ms of CPU count against the others' requests
  assert.equal(r.cpuMs, 130);
});

test('slice order: every server once per pass, passes in the same order', () => {
  assert.deepEqual(sliceOrder(['a', 'b', 'c'], 2), ['a', 'b', 'c', 'a', 'b', 'c']);
  assert.deepEqual(sliceOrder(['a'], 3), ['a', 'a', 'a']);
  assert.deepEqual(sliceOrder(['a', 'b'], 1), ['a', 'b']);
});
