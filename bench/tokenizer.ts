/**
 * The o200k_base token counter (core/o200k-base.ts) against gpt-tokenizer, which it replaced:
 * - memory: RSS and heap of a fresh `node` process before and after loading one and counting a prompt,
 *   without and then with forced GC (the compiled build in dist/, median of --rounds processes each).
 *   "cold": nothing ran before; "warm": first an ES module import from disk and a hot loop, as in a
 *   gateway that has booted and served (the module loader's and the optimizing compiler's first use cost
 *   ~3 and ~4.5 MiB of RSS once per process, whoever comes first);
 * - load time (in those processes);
 * - counting speed on 1 KB and 50 KB prompts (prose, code, JSON, a multilingual chat), many windows of each
 *   source so that texts vary, both counters interleaved round by round (median per call).
 *
 *   npx tsx bench/tokenizer.ts [--rounds=5]      (needs the build: npm run build)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { loadO200kCounter } from '../core/o200k-base.js';
import { argValue, ROOT } from './common.js';

const rounds = Number(argValue(process.argv.slice(2), 'rounds') ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MiB = 2 ** 20;

// --- memory and load time, one fresh process per reading
const distUrl = (file: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'core', file)).href);
const LOADERS = {
  'gpt-tokenizer': `const m = await import('gpt-tokenizer/encoding/o200k_base');
    const asText = { disallowedSpecial: new Set() }; count = (s) => m.countTokens(s, asText);`,
  ours: `const m = await import(${distUrl('o200k-base.js')});
    count = m.loadO200kCounter();`,
};
const WARM_UP = `await import(${distUrl('package-root.js')});
  const a = new Float64Array(1e5);
  for (let k = 0; k < 50; k++) for (let i = 0; i < a.length; i++) a[i] = Math.sqrt(i * k);`;
const probe = (loader: string, warm: boolean) => `
  const gc = globalThis.gc; const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
  ${warm ? WARM_UP : ''}
  gc(); gc(); await new Promise((r) => setTimeout(r, 50));
  const before = process.memoryUsage(); const t0 = performance.now(); let count;
  ${loader}
  count(text);
  const loadMs = performance.now() - t0; const after = process.memoryUsage();
  gc(); gc(); await new Promise((r) => setTimeout(r, 200)); const afterGc = process.memoryUsage();
  console.log(JSON.stringify({ loadMs, rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed,
    rssGc: afterGc.rss - before.rss, heapGc: afterGc.heapUsed - before.heapUsed,
    buffers: afterGc.arrayBuffers - before.arrayBuffers }));`;

console.log(`memory and load time (fresh processes, median of ${rounds}):`);
for (const warm of [false, true]) {
  for (const [name, loader] of Object.entries(LOADERS)) {
    const runs = Array.from({ length: rounds }, () =>
      JSON.parse(
        execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe(loader, warm)], {
          cwd: ROOT,
          encoding: 'utf8',
        }),
      ),
    );
    const m = (k: string) => median(runs.map((r) => r[k] as number));
    console.log(
      `  ${warm ? 'warm' : 'cold'} ${name.padEnd(14)} load ${m('loadMs').toFixed(0).padStart(4)} ms | ` +
        `RSS +${(m('rss') / MiB).toFixed(1)} MiB, heap +${(m('heap') / MiB).toFixed(1)} | ` +
        `after GC: RSS +${(m('rssGc') / MiB).toFixed(1)} MiB, heap +${(m('heapGc') / MiB).toFixed(1)}, ` +
        `array buffers +${(m('buffers') / MiB).toFixed(1)}`,
    );
  }
}

// --- speed, in this process
const asText = { disallowedSpecial: new Set<string>() };
const counters: Record<string, (s: string) => number> = {
  'gpt-tokenizer': (s) => countTokens(s, asText),
  ours: loadO200kCounter(),
};
const chat = [
  'Translate to French: "The meeting is moved to Thursday at 3 pm." ',
  '日本語で説明してください：このコードは何をしますか？ ',
  'مرحبا، هل يمكنك مساعدتي في كتابة رسالة؟ ',
  'Привет! Объясни, пожалуйста, как работает этот алгоритм. ',
  'Sure 👍🏽 — here is the summary: 1) parse the input, 2) count tokens, 3) reply.\n\n',
];
const sources: Record<string, string> = {
  prose:
    readFileSync(path.join(ROOT, 'README.md'), 'utf8') + readFileSync(path.join(ROOT, 'docs', 'routing.md'), 'utf8'),
  code:
    readFileSync(path.join(ROOT, 'core', 'pipeline.ts'), 'utf8') +
    readFileSync(path.join(ROOT, 'core', 'cli.ts'), 'utf8'),
  json: readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'),
  multilingual: Array.from({ length: 2000 }, (_, i) => chat[(i * 7) % chat.length]).join(''),
};
console.log('\ncounting speed (µs per call, median of interleaved rounds; texts are windows of the source):');
for (const [kind, all] of Object.entries(sources)) {
  for (const size of [1024, 50 * 1024]) {
    const texts = Array.from({ length: 32 }, (_, i) => {
      const at = Math.floor((i / 32) * Math.max(0, all.length - size));
      return all.slice(at, at + size);
    });
    for (const t of texts) {
      if (counters.ours!(t) !== counters['gpt-tokenizer']!(t)) throw new Error(`counts differ on ${kind}`);
    }
    const reps = size > 2048 ? 3 : 60;
    const times: Record<string, number[]> = {};
    for (let round = 0; round < 10; round++) {
      const order = round % 2 ? Object.entries(counters) : Object.entries(counters).reverse();
      for (const [name, count] of order) {
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) for (const t of texts) count(t);
        (times[name] ??= []).push(((performance.now() - t0) * 1000) / (reps * texts.length));
      }
    }
    const gpt = median(times['gpt-tokenizer']!);
    const ours = median(times.ours!);
    console.log(
      `  ${kind.padEnd(12)} ${String(size / 1024).padStart(3)} KB  gpt-tokenizer ${gpt.toFixed(1).padStart(7)}` +
        `  ours ${ours.toFixed(1).padStart(7)}  ours/gpt ${(ours / gpt).toFixed(2)}`,
    );
  }
}
