// Loaded with `node --expose-gc --import bench/soak-probe.mjs` by the soak (bench/run.ts --soak): on SIGUSR2,
// one full collection, then the process's memory after it, as one JSON line appended to $BENCH_SOAK_PROBE.
// What a collection leaves is what the process holds: a leak raises it minute after minute, while the RSS
// read between collections mostly shows where the collector's sawtooth stands.
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_SOAK_PROBE;
if (file) {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const m = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`,
    );
  });
}
