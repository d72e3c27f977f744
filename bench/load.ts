/**
 * The load generator (its own process): a closed loop of `concurrency` workers over an undici pool
 * with one keep-alive connection per worker. Every request carries a unique prompt (so a cache only
 * ever sees misses). Latency is measured with hrtime to microseconds (autocannon rounds to whole
 * milliseconds, too coarse for sub-millisecond overheads); for streams, time to first body byte and
 * to last byte.
 *
 * Input: one JSON argument (LoadSpec). Output on stdout: "MEASURE_START" when the warm-up is over,
 * "MEASURE_END" when measuring stops, then one line of JSON (LoadResult).
 */
import { Pool } from 'undici';

export interface LoadSpec {
  url: string; // origin, e.g. http://127.0.0.1:4000
  path: string;
  headers: Record<string, string>;
  model: string;
  stream: boolean;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface Stats {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  latency: Stats; // ms, whole request (non-stream) or time to last byte (stream)
  ttfb?: Stats; // ms, streams only
}

function stats(values: number[]): Stats {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, mean: NaN, max: NaN };
  const a = Float64Array.from(values).sort();
  const pick = (p: number) => a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))];
  let sum = 0;
  for (const v of a) sum += v;
  return { p50: pick(50), p90: pick(90), p99: pick(99), mean: sum / a.length, max: a[a.length - 1] };
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.url, { connections: spec.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  let counter = 0;
  let measuring = false;
  let stop = false;
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;

  const body = () =>
    JSON.stringify({
      model: spec.model,
      messages: [{ role: 'user', content: `Benchmark prompt ${tag}-${counter++}: say something short.` }],
      ...(spec.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });

  const once = async (): Promise<void> => {
    const t0 = process.hrtime.bigint();
    let ttfb = -1;
    try {
      const res = await pool.request({ path: spec.path, method: 'POST', headers, body: body() });
      let bytes = 0;
      for await (const piece of res.body) {
        if (ttfb < 0) ttfb = Number(process.hrtime.bigint() - t0) / 1e6;
        bytes += (piece as Buffer).length;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.statusCode !== 200 || bytes === 0) throw new Error(`status ${res.statusCode}, ${bytes} bytes`);
      if (measuring) {
        requests++;
        latencies.push(ms);
        if (spec.stream) ttfbs.push(ttfb);
      }
    } catch (e) {
      if (measuring) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };

  const worker = async () => {
    while (!stop) await once();
  };
  const workers = Array.from({ length: spec.concurrency }, worker);
  await new Promise((r) => setTimeout(r, spec.warmupMs));
  measuring = true;
  process.stdout.write('MEASURE_START\n');
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, spec.durationMs));
  measuring = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write('MEASURE_END\n');
  stop = true;
  await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 5000))]);
  await pool.destroy().catch(() => undefined);
  return {
    requests,
    errors,
    firstError,
    seconds,
    rps: requests / seconds,
    latency: stats(latencies),
    ...(spec.stream ? { ttfb: stats(ttfbs) } : {}),
  };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
run(spec).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`load failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
