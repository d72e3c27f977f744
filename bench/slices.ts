/**
 * A round's phase in slices (bench/run.ts): instead of each server's whole measured time in one piece,
 * one server after another, the time is cut into slices of about a second and the servers take turns,
 * slice by slice. This machine's speed moves by 2x within a minute (another tenant's work); a server
 * measured in one piece and the floor measured 30 s later can land on either side of such a move, while
 * slices spread every server over the same stretch of the round. In one check on 2026-12-07 (floor and
 * zero-config, six rounds of 4 s each way), the per-round req/s ratios read 0.56-0.68x in one piece and
 * 0.64-0.71x in slices, the CPU ratios 1.57-2.00x and 1.57-1.71x. The full run right after, eight servers
 * in slices, spread about as wide as the run before it in one piece: slices make pairs no less comparable,
 * but they do not remove the machine's moves (bench/profile-notes.md, twenty-second round).
 */
import type { PhaseResult, Stats } from './report.js';

/** The servers in turn, `passes` times: slice i goes to ids[i % ids.length]. */
export function sliceOrder<T>(ids: readonly T[], passes: number): T[] {
  const out: T[] = [];
  for (let p = 0; p < passes; p++) out.push(...ids);
  return out;
}

/**
 * One server's slices of a phase as one result: requests, errors, time and CPU summed; req/s and CPU per
 * request (and per chunk) over those totals; latency percentiles the slices' own, weighted by their
 * completed requests (a slice with none adds its time, errors and CPU only); the highest RSS.
 */
export function joinSlices(slices: readonly PhaseResult[]): PhaseResult {
  if (slices.length === 0) throw new Error('joinSlices: no slices');
  if (slices.length === 1) return slices[0]!;
  const counted = slices.filter((s) => s.requests > 0);
  const requests = counted.reduce((n, s) => n + s.requests, 0);
  const seconds = slices.reduce((n, s) => n + s.seconds, 0);
  const weighted = (pick: (s: PhaseResult) => Stats | undefined): Stats | undefined => {
    if (!pick(slices[0]!)) return undefined;
    const mean = (k: 'p50' | 'p90' | 'p99' | 'mean') =>
      requests ? counted.reduce((a, s) => a + pick(s)![k] * s.requests, 0) / requests : NaN;
    const max = counted.length ? Math.max(...counted.map((s) => pick(s)!.max)) : NaN;
    return { p50: mean('p50'), p90: mean('p90'), p99: mean('p99'), mean: mean('mean'), max };
  };
  const out: PhaseResult = {
    requests,
    errors: slices.reduce((n, s) => n + s.errors, 0),
    seconds,
    rps: seconds > 0 ? requests / seconds : NaN,
    latency: weighted((s) => s.latency)!,
  };
  const ttfb = weighted((s) => s.ttfb);
  if (ttfb) out.ttfb = ttfb;
  if (slices[0]!.cpuMs !== undefined) {
    const cpuMs = slices.reduce((n, s) => n + (s.cpuMs ?? 0), 0);
    out.cpuMs = cpuMs;
    out.cpuMsPerReq = requests ? cpuMs / requests : NaN;
    // CPU per chunk is CPU per request over a fixed number of events a stream: the same factor in every slice.
    const per = counted.find((s) => Number.isFinite(s.cpuUsPerChunk) && s.cpuMsPerReq);
    if (slices[0]!.cpuUsPerChunk !== undefined)
      out.cpuUsPerChunk = per ? (out.cpuMsPerReq * per.cpuUsPerChunk!) / per.cpuMsPerReq! : NaN;
  }
  const rss = slices.map((s) => s.rssMaxMiB).filter((x): x is number => x !== undefined);
  if (rss.length) out.rssMaxMiB = Math.max(...rss);
  return out;
}
