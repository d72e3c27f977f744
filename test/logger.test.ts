/** The gateway's logger: batched writes, flushed on a timer and at shutdown; every line at once with bufferMs 0. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, stopLogger } from '../core/logger.js';
import { createGateway, mock, validateConfig } from '../index.js';

const read = (file: string) => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };

test('buffered lines reach the file within bufferMs, not at once', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sy-log-')), 'out.log');
  const log = createLogger({ level: 'info', bufferMs: 150 }, file);
  await sleep(50); // the file opens asynchronously
  log.info({ reqId: 'r1' }, 'first');
  await sleep(20);
  assert.equal(read(file), '', 'held in the buffer');
  await sleep(300);
  const line = JSON.parse(read(file).trim());
  assert.equal(line.msg, 'first');
  assert.equal(line.reqId, 'r1');
  assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO timestamp');
  stopLogger(log);
});

test('bufferMs 0 writes every line at once', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sy-log-')), 'out.log');
  const log = createLogger({ level: 'info', bufferMs: 0 }, file);
  await sleep(50);
  log.info('now');
  await sleep(30);
  assert.equal(JSON.parse(read(file).trim()).msg, 'now');
  stopLogger(log);
});

test('logging.bufferMs is validated', () => {
  assert.throws(() => validateConfig({ logging: { bufferMs: -1 } }), /logging\.bufferMs/);
  assert.doesNotThrow(() => validateConfig({ logging: { level: 'warn', bufferMs: 0 } }));
});

test('the gateway flushes buffered lines when it closes', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sy-log-')), 'gw.log');
  const logger = createLogger({ level: 'info', bufferMs: 10_000 }, file);
  const gw = await createGateway({ providers: [mock()], logger });
  const { url } = await gw.listen({ port: 0 });
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-fast', messages: [{ role: 'user', content: 'hi' }] }) });
  assert.equal(res.status, 200);
  await res.text();
  await sleep(50);
  assert.ok(!read(file).includes('"msg":"request"'), 'the usage line is still buffered');
  await gw.close();
  stopLogger(logger);
  const lines = read(file).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.msg === 'request' && l.usage.status === 200), 'the usage line was written at close');
});
