/**
 * The per-request metrics' own series (plugins/governance/metric-series.ts) read exactly like
 * prom-client's Counter and Histogram fed the same values: /metrics text, JSON and reset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../../plugins/governance/metric-series.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const help = 'help text';
  return {
    theirs,
    ours,
    counter: new Counter({ name: 'c_total', help, labelNames: ['provider', 'model', 'status'], registers: [theirs] }),
    histogram: new Histogram({
      name: 'h_seconds',
      help,
      labelNames: ['provider', 'model'],
      buckets: BUCKETS,
      registers: [theirs],
    }),
    sCounter: new SeriesCounter('c_total', help, ours),
    sHistogram: new SeriesHistogram('h_seconds', help, ours, BUCKETS),
  };
}

test('counters and histograms: the same text and JSON as prom-client for the same updates', async () => {
  const p = pair();
  const sets = [
    { provider: 'openai', model: 'gpt-4o-mini' },
    { provider: 'anthropic', model: 'claude "quoted" \\ \n' },
  ];
  const values = [0, 0.001, 0.005, 0.0051, 0.3, 1, 1.5, 99, 0.01];
  for (const [i, v] of values.entries()) {
    const l = sets[i % 2];
    const key = `${l.provider}\u0000${l.model}`;
    p.histogram.observe(l, v);
    p.sHistogram.observe(p.sHistogram.series(key, l), v);
    const status = i % 3 ? '200' : '500';
    p.counter.inc({ ...l, status }, v);
    p.sCounter.series(`${key}\u0000${status}`, { ...l, status }).value += v;
  }
  assert.equal(await p.ours.metrics(), await p.theirs.metrics());
  assert.deepEqual(await p.ours.getMetricsAsJSON(), await p.theirs.getMetricsAsJSON());
  p.ours.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  p.theirs.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  assert.equal(await p.ours.metrics(), await p.theirs.metrics());
});

test('reset drops the series (and tells their holders); a non-finite observation throws', async () => {
  const p = pair();
  let told = 0;
  p.sHistogram.onReset(() => told++);
  const l = { provider: 'openai', model: 'm' };
  p.histogram.observe(l, 0.2);
  p.sHistogram.observe(p.sHistogram.series('k', l), 0.2);
  p.theirs.resetMetrics();
  p.ours.resetMetrics();
  assert.equal(told, 1);
  assert.equal(await p.ours.metrics(), await p.theirs.metrics());
  assert.throws(() => p.sHistogram.observe(p.sHistogram.series('k', l), Number.NaN), TypeError);
  assert.throws(() => p.histogram.observe(l, Number.NaN), TypeError);
});
