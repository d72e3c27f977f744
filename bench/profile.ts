/**
 * Summarise a V8 .cpuprofile (from node --cpu-prof): self time per function and per area, in total
 * and per request; and an allocation profile (bench/alloc-profile.mjs), if there is one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './common.js';
import type { AllocationSummary, ProfileEntry, ProfileSummary } from './report.js';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame lives: a package, a Switchyard source file, node internals, or V8 itself. */
function locate(url: string, line: number): { where: string; area: string } {
  if (!url) return { where: '(native / V8)', area: 'V8 / native' };
  if (url.startsWith('wasm:')) return { where: url, area: 'wasm (undici llhttp parser)' };
  let p = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  if (p.startsWith('node:'))
    return { where: `${p}:${line + 1}`, area: `node: ${p.replace(/^node:(internal\/)?/, '').split('/')[0]}` };
  const nm = p.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return { where: `${rest.join('/')}:${line + 1}`, area: `npm: ${pkg}` };
  }
  if (p.startsWith(ROOT)) p = path.relative(ROOT, p);
  const top = p.split('/').slice(0, 2).join('/');
  // Sources run through tsx report line 0 for most functions: the file alone is the honest answer.
  return { where: line > 0 ? `${p}:${line + 1}` : p, area: `switchyard: ${top}` };
}

/**
 * `windowMs`: only samples taken this many ms after the profile started (e.g. the measured load
 * phase, leaving out start-up and module loading).
 */
export function summariseProfile(
  file: string,
  scenario: string,
  requests: number,
  rps: number,
  windowMs?: [number, number],
  allocFile?: string,
  top = 30,
): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = prof.startTime;
  const from = windowMs ? prof.startTime + windowMs[0] * 1000 : -Infinity;
  const to = windowMs ? prof.startTime + windowMs[1] * 1000 : Infinity;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    // timeDeltas[i] is the time since the previous sample; attribute the next delta to this sample.
    const dt = prof.timeDeltas[i + 1] ?? 0;
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + Math.max(0, dt));
  }
  const fns = new Map<string, ProfileEntry>();
  const areas = new Map<string, number>();
  let sampled = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') continue;
    sampled += us;
    const { where, area } =
      name.startsWith('(') && !n.callFrame.url
        ? { where: '', area: name }
        : locate(n.callFrame.url, n.callFrame.lineNumber);
    const key = `${name}@${where}`;
    const e = fns.get(key) ?? { name, where, selfMs: 0, selfPct: 0 };
    e.selfMs += us / 1000;
    fns.set(key, e);
    areas.set(area, (areas.get(area) ?? 0) + us / 1000);
  }
  const sampledMs = sampled / 1000;
  const topFunctions = [...fns.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((e) => ({ ...e, selfPct: (100 * e.selfMs) / sampledMs, usPerReq: (1000 * e.selfMs) / requests }));
  const byArea = [...areas]
    .map(([area, ms]) => ({ area, selfMs: ms, selfPct: (100 * ms) / sampledMs, usPerReq: (1000 * ms) / requests }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 25);
  return {
    scenario,
    date: new Date().toISOString(),
    requests,
    rps,
    totalMs: windowMs ? windowMs[1] - windowMs[0] : (prof.endTime - prof.startTime) / 1000,
    sampledMs,
    topFunctions,
    byArea,
    ...(allocFile && existsSync(allocFile) ? { allocations: summariseAllocations(allocFile, requests) } : {}),
  };
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/**
 * A sampling heap profile taken with collected objects kept (bench/alloc-profile.mjs): bytes
 * allocated per function (self) and per area, and per request.
 */
export function summariseAllocations(file: string, requests: number, top = 20): AllocationSummary {
  const root = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const fns = new Map<string, { name: string; where: string; bytes: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode) => {
    if (n.selfSize > 0) {
      const name = n.callFrame.functionName || '(anonymous)';
      const { where, area } =
        name.startsWith('(') && !n.callFrame.url
          ? { where: '', area: name }
          : locate(n.callFrame.url, n.callFrame.lineNumber);
      const key = `${name}@${where}`;
      const e = fns.get(key) ?? { name, where, bytes: 0 };
      e.bytes += n.selfSize;
      fns.set(key, e);
      areas.set(area, (areas.get(area) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(root);
  const per = (b: number) => (requests ? b / requests : NaN);
  return {
    bytesPerRequest: per(total),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, bytesPerRequest: per(e.bytes), pct: (100 * e.bytes) / total })),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([area, b]) => ({ area, bytesPerRequest: per(b), pct: (100 * b) / total })),
  };
}
