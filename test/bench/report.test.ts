/**
 * The benchmark report's comparisons with the floor (bench/report.ts): paired round by round, so that
 * a round in which the whole machine was slower moves the floor and the server together.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derive, renderTargets, type BenchResults, type PhaseResult, type ScenarioResult } from '../../bench/report.js';
import { median } from '../../bench/common.js';

const latency = (p50: number) => ({ p50, p90: p50, p99: p50, mean: p50, max: p50 });

function phase(rps: number[], cpu: number[], p50: number[], extra: Partial<PhaseResult> = {}): PhaseResult {
  return {
    requests: 1000,
    errors: 0,
    seconds: 4,
    rps: median(rps),
    latency: latency(median(p50)),
    cpuMsPerReq: median(cpu),
    rounds: rps.length,
    perRound: { rps, cpuMsPerReq: cpu, p50 },
    ...extra,
  };
}

function scenario(id: string, rps: number[], cpu: number[], p50: number[]): ScenarioResult {
  return { id, label: id, process: id, c1: phase(rps, cpu, p50), cN: phase(rps, cpu, p50) };
}

function results(scenarios: ScenarioResult[]): BenchResults {
  return {
    date: '2026-12-06',
    command: 'test',
    quick: false,
    machine: { nproc: 2, cpu: 'test', node: 'v20', os: 'linux', memGiB: 24 },
    settings: {
      idleS: 0,
      prewarmS: 0,
      warmupS: 0,
      durationS: 4,
      concurrency: 64,
      streamChunks: 20,
      chunkDelayMs: 2,
      eventsPerStream: 23,
      rounds: 3,
      loadGenerator: 'wrk',
    },
    portkey: {},
    scenarios,
  };
}

test('ratios to the floor are the median of the rounds paired, not the ratio of the medians', () => {
  // The machine slowed in rounds 2 and 3: both servers fell together. The medians come from different
  // rounds (the floor's from round 2, the server's from round 3) and would read 1.00x and 1.06x.
  const r = results([
    scenario('floor', [11656, 7370, 6702], [0.083, 0.133, 0.146], [0.2, 0.3, 0.25]),
    scenario('sy-zero', [8153, 4115, 7358], [0.124, 0.26, 0.141], [0.25, 0.45, 0.3]),
  ]);
  const zero = derive(r).find((d) => d.s.id === 'sy-zero')!;
  assert.deepEqual(
    zero.ofFloorRounds.map((x) => x.toFixed(3)),
    ['0.699', '0.558', '1.098'],
  );
  assert.equal(zero.ofFloor!.toFixed(3), '0.699');
  assert.equal(zero.cpuVsFloor!.toFixed(3), '1.494');
  assert.equal(zero.addP50OverFloor!.toFixed(3), '0.050');
  const targets = renderTargets(r);
  assert.match(targets, /Zero-config throughput, c=64 \| ≥ 0\.75× the floor's req\/s \| 0\.70× \| \*\*not met\*\*/);
  assert.match(targets, /Zero-config CPU per request \| ≤ 1\.3× the floor's \| 1\.49× \| \*\*not met\*\*/);
  assert.match(targets, /rounds 0\.70×, 0\.56×, 1\.10×/);
});

test('without rounds on both sides, the ratio of the two figures', () => {
  const single = (id: string, rps: number, cpu: number): ScenarioResult => ({
    id,
    label: id,
    process: id,
    cN: { requests: 1, errors: 0, seconds: 4, rps, latency: latency(1), cpuMsPerReq: cpu },
  });
  const r = results([single('floor', 8000, 0.1), single('sy-zero', 6000, 0.13)]);
  const zero = derive(r).find((d) => d.s.id === 'sy-zero')!;
  assert.equal(zero.ofFloor, 0.75);
  assert.equal(zero.cpuVsFloor!.toFixed(2), '1.30');
  assert.deepEqual(zero.ofFloorRounds, []);
});
