// Preloaded by `npm run bench -- --profile` (node --import ./bench/alloc-profile.mjs ...): the first
// SIGUSR2 starts V8's sampling heap profiler, keeping samples of objects the GC has already
// collected (so it records allocations, not only what survives); the second stops it and writes the
// profile as JSON to $BENCH_ALLOC_PROFILE.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_ALLOC_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => {
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res)));
    });
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      post('HeapProfiler.enable')
        .then(() =>
          post('HeapProfiler.startSampling', {
            samplingInterval: 16384,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          }),
        )
        .catch((e) => process.stderr.write(`alloc profile: ${e.message}\n`));
      return;
    }
    running = false;
    post('HeapProfiler.stopSampling')
      .then((res) => writeFileSync(file, JSON.stringify(res.profile)))
      .catch((e) => process.stderr.write(`alloc profile: ${e.message}\n`));
  });
}
