// Loaded with `node --expose-gc --import bench/force-gc.mjs` by bench/promotion-gate.ts: on SIGUSR2, one
// full collection, then a marker line on stdout (the gate reads the GC trace from there on).
import { writeSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc();
  writeSync(1, '\nSWITCHYARD_BENCH_FORCED_GC\n');
});
