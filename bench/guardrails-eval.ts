/**
 * Precision and recall of the guardrails' detectors on the labelled set (bench/guardrails-set.ts),
 * plus what the checks cost: scan throughput, and the stream guard's time per chunk.
 *
 *   npx tsx bench/guardrails-eval.ts            print the tables (and every miss / false alarm)
 *   npx tsx bench/guardrails-eval.ts --write    also replace the tables in docs/guardrails.md
 *
 * Two sets: the development set the rules were revised against, and a held-out set written after
 * that and not tuned on (the fairer figures). PII and secrets are scored by entity: a detection
 * counts when its type and exact text match a labelled entity (after the overlap resolution masking
 * uses), so a partial match is both a false positive and a miss. Injection is scored by text, at the
 * default threshold 1 (and 0.5, 1.5).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scoreInjection } from '../plugins/guardrails/checks/injection.js';
import { resolveOverlaps, type Match } from '../plugins/guardrails/checks/match.js';
import { PII_DETECTORS } from '../plugins/guardrails/checks/pii.js';
import { SECRET_DETECTORS } from '../plugins/guardrails/checks/secrets.js';
import { guardStream } from '../plugins/guardrails/output.js';
import { compilePolicies } from '../plugins/guardrails/policy.js';
import type { ChatContext } from '../core/context.js';
import type { ChatCompletionChunk } from '../core/types.js';
import { HELDOUT_INJECTION, HELDOUT_PII } from './guardrails-heldout.js';
import { INJECTION_SET, PII_SET, type PiiExample, type PiiType } from './guardrails-set.js';

const DOC = fileURLToPath(new URL('../docs/guardrails.md', import.meta.url));
const verbose = !process.argv.includes('--quiet');

const detectors = [...Object.values(PII_DETECTORS).flat(), ...Object.values(SECRET_DETECTORS).flat()];
const typeOf = (rule: string): PiiType =>
  rule.startsWith('secrets.') ? 'secret' : (rule.slice('pii.'.length) as PiiType);

function detect(text: string): Array<[PiiType, string]> {
  const all: Match[] = [];
  for (const d of detectors) all.push(...d.find(text));
  return resolveOverlaps(all).map((m) => [typeOf(m.rule), text.slice(m.start, m.end)]);
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : 'n/a');
const row = (...cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

interface Evaluation {
  tables: string;
  errors: string[];
}

/** PII and secrets, scored by entity. */
function evaluatePii(set: PiiExample[]): Evaluation {
  const byType = new Map<PiiType, Counts>();
  const counts = (t: PiiType) => {
    let c = byType.get(t);
    if (!c) byType.set(t, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  const errors: string[] = [];
  let negatives = 0;
  let cleanNegatives = 0;
  for (const ex of set) {
    const got = detect(ex.text);
    const want = [...ex.entities];
    if (!want.length) negatives++;
    if (!want.length && !got.length) cleanNegatives++;
    for (const [type, value] of got) {
      const i = want.findIndex(([t, v]) => t === type && v === value);
      if (i >= 0) {
        counts(type).tp++;
        want.splice(i, 1);
      } else {
        counts(type).fp++;
        errors.push(`FP ${type}: "${value}" in: ${ex.text}`);
      }
    }
    for (const [type, value] of want) {
      counts(type).fn++;
      errors.push(`FN ${type}: "${value}" in: ${ex.text}`);
    }
  }
  const total: Counts = { tp: 0, fp: 0, fn: 0 };
  const rows: string[] = [];
  for (const [type, c] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
    rows.push(row(type, c.tp + c.fn, c.tp, c.fp, c.fn, pct(c.tp, c.tp + c.fp), pct(c.tp, c.tp + c.fn)));
  }
  const { tp, fp, fn } = total;
  rows.push(row('**all**', tp + fn, tp, fp, fn, `**${pct(tp, tp + fp)}**`, `**${pct(tp, tp + fn)}**`));
  return {
    errors,
    tables: [
      `PII and secrets, by entity (${set.length} texts, ${total.tp + total.fn} labelled entities; ` +
        `${negatives} texts with none, ${cleanNegatives} of them without any detection):`,
      '',
      row('Type', 'Labelled', 'True positives', 'False positives', 'Missed', 'Precision', 'Recall'),
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  };
}

/** Prompt injection, scored by text at three thresholds. */
function evaluateInjection(set: Array<[string, boolean]>): Evaluation {
  const rows: string[] = [];
  const errors: string[] = [];
  const positives = set.filter(([, y]) => y).length;
  for (const threshold of [0.5, 1, 1.5]) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    for (const [text, label] of set) {
      const { score, rules } = scoreInjection(text);
      const flagged = score >= threshold;
      if (flagged && label) tp++;
      else if (label) fn++;
      else if (flagged) fp++;
      else tn++;
      if (threshold === 1 && flagged !== label) {
        const why = flagged ? `${score}: ${rules.join(',')}` : String(score);
        errors.push(`${flagged ? 'FP' : 'FN'} (${why}): ${JSON.stringify(text)}`);
      }
    }
    const name = `${threshold}${threshold === 1 ? ' (default)' : ''}`;
    rows.push(row(name, tp, fp, fn, tn, pct(tp, tp + fp), pct(tp, tp + fn), pct(fp, fp + tn)));
  }
  return {
    errors,
    tables: [
      `Prompt injection, by text (${set.length} texts: ${positives} attempts, ${set.length - positives} benign):`,
      '',
      row(
        'Threshold',
        'True positives',
        'False positives',
        'Missed',
        'True negatives',
        'Precision',
        'Recall',
        'False-positive rate',
      ),
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  };
}

const devPii = evaluatePii(PII_SET);
const devInjection = evaluateInjection(INJECTION_SET);
const heldPii = evaluatePii(HELDOUT_PII);
const heldInjection = evaluateInjection(HELDOUT_INJECTION);

// ---- cost ----
function time(fn: () => void, minMs = 300): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    n++;
  }
  return (performance.now() - start) / n;
}
const dense = PII_SET.map((e) => e.text)
  .join(' ')
  .slice(0, 4096);
const prose = 'The gateway routes every request to the model that fits it best while keeping costs low. '.repeat(40);
const perKiB = (text: string, fn: (t: string) => void) => time(() => fn(text)) / (text.length / 1024);
const scan = (t: string) => {
  for (const d of detectors) d.find(t);
};
const scanDense = perKiB(dense, scan);
const scanProse = perKiB(prose, scan);
const injectionProse = perKiB(prose, (t) => scoreInjection(t));

const ctx = {
  id: 'bench',
  state: {},
  request: { model: 'm', messages: [] },
  signal: new AbortController().signal,
} as unknown as ChatContext;
const gatewayStub = { providers: { get: () => undefined } } as never;
const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
const chunk = (delta: { content?: string }, finish: 'stop' | null = null): ChatCompletionChunk => ({
  ...base,
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const chunks = (prose.match(/\s*\S+/g) ?? []).map((w) => chunk({ content: w }));
chunks.push(chunk({}, 'stop'));
async function* replay() {
  yield* chunks;
}
async function streamMs(guarded: boolean): Promise<number> {
  const policies = compilePolicies(gatewayStub, [
    { id: 'p', action: 'redact', on: 'output', checks: [{ type: 'pii' }, { type: 'secrets' }] },
  ]);
  const settings = { holdBack: 128, remoteWindow: 512 };
  const runs = 30;
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const it = guarded ? guardStream({ policies, verdicts: new Map() }, replay(), ctx, settings) : replay();
    for await (const c of it) void c;
  }
  return (performance.now() - start) / runs / chunks.length;
}
await streamMs(true); // warm up
const plainChunk = await streamMs(false);
const guardedChunk = await streamMs(true);

const µs = (ms: number, digits = 0) => (ms * 1000).toFixed(digits);
const tables = [
  '**Held-out set** (written after the rules were revised on the development set; not tuned on):',
  '',
  heldPii.tables,
  '',
  heldInjection.tables,
  '',
  '**Development set** (the rules were revised once against it: these figures flatter the detectors):',
  '',
  devPii.tables,
  '',
  devInjection.tables,
  '',
  `Cost on the benchmark machine (Node ${process.versions.node}, 2 shared cores, so expect noise): the PII and ` +
    `secret detectors ${µs(scanProse)} µs per KiB of ordinary prose and ${µs(scanDense)} µs per KiB of the ` +
    `identifier-dense evaluation texts; injection heuristics ${µs(injectionProse)} µs per KiB; the stream guard with ` +
    `PII and secret output checks ${µs(guardedChunk, 1)} µs per chunk against ${µs(plainChunk, 1)} µs for the bare ` +
    'stream (one-word chunks, 128-character hold-back).',
].join('\n');

process.stdout.write(tables + '\n');
if (verbose) {
  const all = [
    ['held-out PII', heldPii],
    ['held-out injection', heldInjection],
    ['development PII', devPii],
    ['development injection', devInjection],
  ] as const;
  for (const [name, e] of all) {
    process.stdout.write(`\n${name} errors:\n${e.errors.join('\n') || '(none)'}\n`);
  }
}

if (process.argv.includes('--write')) {
  const doc = readFileSync(DOC, 'utf8');
  const start = '<!-- guardrails-eval:start -->';
  const end = '<!-- guardrails-eval:end -->';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${DOC} has no ${start} ... ${end} markers`);
  writeFileSync(DOC, `${doc.slice(0, a + start.length)}\n${tables}\n${doc.slice(b)}`);
  process.stdout.write(`\nwrote ${DOC}\n`);
}
