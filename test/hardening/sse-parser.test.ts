/**
 * Defect 10 (issue 14): the SSE parser rescanned its whole buffer for every network chunk, so a body
 * without a blank line cost quadratic CPU (40 MB: 12 s). These tests count the work instead of timing it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSse } from '../../core/sse.js';

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/**
 * Characters examined by String.prototype.indexOf while `run` runs: the parser's way of finding event
 * boundaries. A linear parser examines each character a bounded number of times.
 */
async function indexOfWork(run: () => Promise<void>): Promise<number> {
  const original = String.prototype.indexOf;
  let work = 0;
  String.prototype.indexOf = function (this: string, search: string, from?: number) {
    const start = Math.max(0, Math.min(from ?? 0, this.length));
    const found = original.call(this, search, from);
    work += (found === -1 ? this.length : found + search.length) - start; // characters actually compared
    return found;
  };
  try {
    await run();
  } finally {
    String.prototype.indexOf = original;
  }
  return work;
}

test('parseSse is linear: an 8 MB event without a blank line, in 16 KiB pieces, is scanned about once', async () => {
  const body = `data: ${'x'.repeat(8 * 1024 * 1024)}`;
  let got = 0;
  const work = await indexOfWork(async () => {
    for await (const ev of parseSse(pieces(body, 16 * 1024), { maxEventBytes: Infinity })) got += ev.data.length;
  });
  assert.equal(got, 8 * 1024 * 1024, 'the event is delivered whole at the end of the body');
  assert.ok(work <= 3 * body.length, `indexOf examined ${work} characters for a ${body.length}-character body`);
});

test('parseSse is linear with many small events too', async () => {
  const body = 'data: {"a":1}\n\n'.repeat(50_000);
  let n = 0;
  const work = await indexOfWork(async () => {
    for await (const ev of parseSse(pieces(body, 1000))) if (ev.data === '{"a":1}') n++;
  });
  assert.equal(n, 50_000);
  assert.ok(work <= 3 * body.length, `indexOf examined ${work} characters for a ${body.length}-character body`);
});

test(
  'parseSse: a 40 MB body without a blank line in 1 ' + 'KiB pieces ends with a size error after bounded work',
  async () => {
    const body = `data: ${'y'.repeat(40 * 1024 * 1024)}`;
    const limit = 1024 * 1024;
    let read = 0;
    async function* counted() {
      for await (const p of pieces(body, 1024)) {
        read += p.length;
        yield p;
      }
    }
    await assert.rejects(
      async () => {
        for await (const _ of parseSse(counted(), { maxEventBytes: limit })) {
          /* nothing arrives */
        }
      },
      (e: { code?: string; limit?: number }) => e.code === 'SSE_EVENT_TOO_LARGE' && e.limit === limit,
    );
    assert.ok(read <= limit + 2048, `the parser stopped reading once the event passed the limit (read ${read})`);
  },
);

test('parseSse: the event size limit counts one event, not the stream', async () => {
  const event = `data: ${'z'.repeat(900)}\n\n`;
  let n = 0;
  for await (const _ of parseSse(pieces(event.repeat(5000), 333), { maxEventBytes: 1000 })) n++;
  assert.equal(n, 5000, 'a long stream of events each under the limit passes');
  await assert.rejects(async () => {
    for await (const _ of parseSse(pieces(`${event}data: ${'z'.repeat(1200)}\n\n`, 100), { maxEventBytes: 1000 })) {
      /* */
    }
  }, /larger than 1000/);
});

test('parseSse: boundaries split across pieces in every way still separate events', async () => {
  const text = 'data: a\r\n\r\ndata: b\n\n\n\ndata: c\r\rdata: d\n\ndata: e';
  for (let size = 1; size <= text.length; size++) {
    const evs = [];
    for await (const ev of parseSse(pieces(text, size))) evs.push(ev.data);
    assert.deepEqual(evs, ['a', 'b', 'c', 'd', 'e'], `pieces of ${size}`);
  }
});
