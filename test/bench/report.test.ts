/**
 * The benchmark report's comparisons with the floor (bench/report.ts): paired round by round, so that
 * a round in which the whole machine was slower moves the floor and the server together.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  derive,
  renderSoak,
  renderTargets,
  soakAfterGc,
  type BenchResults,
  type PhaseResult,
  type ScenarioResult,
  type SoakResult,
} from '../../bench/report.js';
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

function soak(heap: number[], rss: number[]): SoakResult {
  // Before the load (s=0), once a minute during 600 s, and after it (602 s).
  const times = [0, ...heap.slice(1, -1).map((_, i) => (i + 1) * 60), 602];
  return {
    date: '2026-12-06',
    scenario: 'sy-production',
    seconds: 600,
    concurrency: 16,
    requests: 1,
    rps: 1,
    errors: 0,
    samples: times.map((s, i) => ({ s, rssMiB: rss[i] })),
    afterGc: times.map((s, i) => ({ s, rssMiB: rss[i], heapUsedMiB: heap[i], externalMiB: 3 })),
  };
}

test('the soak is flat on what each full collection leaves, not on where RSS stands in the sawtooth', () => {
  // The live heap plateaus (the exact cache full) while RSS after each collection swings with the committed heap.
  const flat = soak(
    [15, 92.5, 92.6, 92.5, 92.6, 92.4, 92.6, 92.5, 92.6, 92.5, 92.5, 92],
    [106, 208, 270, 228, 290, 238, 262, 231, 285, 240, 250, 239],
  );
  const t = soakAfterGc(flat)!;
  assert.equal(t.n, 10, 'from the first minute to the end of the load; not before it, not after it');
  assert.ok(Math.abs(t.heap) < 0.1, `heap trend ${t.heap}`);
  assert.equal(t.heapMin, 92.4);
  const r = results([scenario('floor', [1], [1], [1])]);
  const row = renderTargets(r, flat);
  assert.match(row, /Memory flat over a 10-minute soak \(`sy-production`\) \| no steady climb \|/);
  assert.match(row, /\| live heap [+-]0\.0\d MiB\/min.*\| met \|/);
  assert.match(renderSoak(flat), /Live heap 15\.0, 92\.5, 92\.6/);

  // A leak: each minute's collection leaves 2 MiB more.
  const leak = soak(
    [15, 90, 92, 94, 96, 98, 100, 102, 104, 106, 108, 108],
    [106, 200, 202, 204, 206, 208, 210, 212, 214, 216, 218, 218],
  );
  assert.equal(soakAfterGc(leak)!.heap.toFixed(2), '2.00');
  assert.match(renderTargets(r, leak), /live heap \+2\.00 MiB\/min.*\*\*not met\*\*/);

  // An older soak without the collections: no trend of them, and the RSS lows rule as before.
  const old = { ...flat, afterGc: undefined };
  assert.equal(soakAfterGc(old), undefined);
  assert.match(renderTargets(r, old), /RSS flat over a 10-minute soak/);
});
