/**
 * Property-based tests of the SSE parser (core/sse.ts, issue 14): any events, any line endings, any
 * comments, split anywhere (as text, or as UTF-8 bytes cut inside characters) parse to the same
 * events; any text parses the same whole or in pieces; the work is linear in the body; the event size
 * limit holds exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseSse, SseEventTooLarge, type SseEvent } from '../../core/sse.js';

const RUNS = Number(process.env.SY_PROPERTY_RUNS ?? 200);

/** A line value: any characters but CR and LF. `unit` 'grapheme' keeps it valid UTF-16 (for byte splits). */
const lineOf = (unit: 'grapheme' | 'binary') => fc.string({ unit, maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));

interface Ev {
  event?: string;
  data: string[];
  id?: string;
  comment?: string;
}
const events = (unit: 'grapheme' | 'binary') =>
  fc.array(
    fc.record({
      event: fc.option(
        lineOf(unit).map((s) => s.replace(/^ /, '')),
        { nil: undefined },
      ),
      data: fc.array(lineOf(unit), { minLength: 1, maxLength: 4 }),
      id: fc.option(
        lineOf(unit).map((s) => s.replace(/^ /, '')),
        { nil: undefined },
      ),
      comment: fc.option(lineOf(unit), { nil: undefined }),
    }),
    { maxLength: 12 },
  );

/**
 * Encode with a line ending per line drawn from `ends`. A '\r' followed by an ending that starts with
 * '\n' would be one CRLF, so that pair becomes '\r', '\r'.
 */
function encode(evs: Ev[], ends: string[]): string {
  let i = 0;
  let prev = '';
  const eol = () => {
    let e = ends[i++ % ends.length];
    if (prev === '\r' && e.startsWith('\n')) e = '\r';
    return (prev = e);
  };
  let out = '';
  for (const e of evs) {
    if (e.comment !== undefined) out += `:${e.comment}${eol()}`;
    if (e.event !== undefined) out += `event: ${e.event}${eol()}`;
    for (const d of e.data) out += `data: ${d}${eol()}`;
    if (e.id !== undefined) out += `id: ${e.id}${eol()}`;
    out += eol();
  }
  return out;
}

const expected = (evs: Ev[]) => evs.map((e) => ({ event: e.event, id: e.id, data: e.data.join('\n') }));

async function parse(pieces: Array<string | Uint8Array>, maxEventBytes?: number): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const ev of parseSse(
    (async function* () {
      yield* pieces;
    })(),
    { maxEventBytes },
  ))
    out.push({ event: ev.event, id: ev.id, data: ev.data });
  return out;
}

/** Cut `whole` (string or bytes) at the given fractions of its length. */
function cut<T extends string | Uint8Array>(whole: T, fractions: number[]): T[] {
  const at = [...new Set(fractions.map((f) => Math.floor(f * whole.length)))].sort((a, b) => a - b);
  const out: T[] = [];
  let prev = 0;
  for (const p of [...at, whole.length]) {
    out.push(whole.slice(prev, p) as T);
    prev = p;
  }
  return out;
}

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 });
const lineEnds = fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: 1, maxLength: 5 });

test('property: encoded events come back whole, whatever the line endings and wherever the text is cut', async () => {
  await fc.assert(
    fc.asyncProperty(events('binary'), lineEnds, fractions, async (evs, ends, fr) => {
      assert.deepEqual(await parse(cut(encode(evs, ends), fr)), expected(evs));
    }),
    { numRuns: RUNS },
  );
});

test('property: UTF-8 bytes cut inside characters still decode to the same events', async () => {
  await fc.assert(
    fc.asyncProperty(events('grapheme'), lineEnds, fractions, async (evs, ends, fr) => {
      const bytes = new TextEncoder().encode(encode(evs, ends));
      assert.deepEqual(await parse(cut(bytes, fr)), expected(evs));
    }),
    { numRuns: RUNS },
  );
});

test('property: any text parses the same whole and in pieces, and never throws without a limit', async () => {
  const noisy = fc.string({
    unit: fc.oneof(
      fc.constantFrom('\n', '\r', '\r\n', ':', ' ', 'data', 'event', 'id', 'x'),
      fc.string({ unit: 'binary', maxLength: 1 }),
    ),
    maxLength: 400,
  });
  await fc.assert(
    fc.asyncProperty(noisy, fractions, async (text, fr) => {
      assert.deepEqual(await parse(cut(text, fr)), await parse([text]));
    }),
    { numRuns: RUNS },
  );
});

test('property: the work is linear in the body (characters compared by indexOf)', async () => {
  const body = fc.tuple(
    fc.string({ unit: fc.constantFrom('a', '\n', '\r', ':', 'data: ', ' '), maxLength: 3000 }),
    fc.integer({ min: 1, max: 64 }),
  );
  await fc.assert(
    fc.asyncProperty(body, async ([text, size]) => {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      const original = String.prototype.indexOf;
      let work = 0;
      String.prototype.indexOf = function (this: string, search: string, from?: number) {
        const start = Math.max(0, Math.min(from ?? 0, this.length));
        const found = original.call(this, search, from);
        work += (found === -1 ? this.length : found + search.length) - start;
        return found;
      };
      try {
        await parse(pieces);
      } finally {
        String.prototype.indexOf = original;
      }
      assert.ok(
        work <= 4 * text.length + 4 * pieces.length + 8,
        `${work} compared for ${text.length} characters in ${pieces.length} pieces`,
      );
    }),
    { numRuns: RUNS },
  );
});

test('property: an event is refused exactly when its lines are longer than maxEventBytes', async () => {
  const sized = fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 6,
  });
  await fc.assert(
    fc.asyncProperty(sized, fc.integer({ min: 10, max: 120 }), lineEnds, fractions, async (shape, limit, ends, fr) => {
      const evs: Ev[] = shape.map((lines) => ({ data: lines.map((n) => 'x'.repeat(n)) }));
      const blockLength = (e: Ev) => e.data.reduce((s, d) => s + 'data: '.length + d.length, 0) + e.data.length - 1;
      const tooBig = evs.some((e) => blockLength(e) > limit);
      const result = await parse(cut(encode(evs, ends), fr), limit).then(
        () => 'ok',
        (e) => e,
      );
      if (tooBig)
        assert.ok(result instanceof SseEventTooLarge, `expected a refusal at ${limit}: ${evs.map(blockLength)}`);
      else assert.equal(result, 'ok');
    }),
    { numRuns: RUNS },
  );
});
