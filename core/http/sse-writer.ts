/**
 * Writes a stream of encoded events to the client: headers flushed at once, backpressure respected,
 * stops as soon as the client goes away (which aborts the upstream through the request signal).
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { safeHeaders } from './respond.js';
import { type AbortSource, signalOf } from '../abort.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/**
 * The headers leave with the first event (one write, one packet: the first event is usually in hand
 * already), or on the next turn of the event loop if no event is written before then.
 */
export function startSse(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, safeHeaders(headers, SSE_HEADERS));
  setImmediate(flushIfUnsent, res);
}

function flushIfUnsent(res: ServerResponse): void {
  // `_headerSent`: node:http's own flag for "the header bytes went out" (headersSent is already true
  // once writeHead has stored them).
  if (!(res as unknown as { _headerSent: boolean })._headerSent && !res.destroyed && !res.writableEnded)
    res.flushHeaders();
}

/**
 * Write, and when the socket's buffer is full wait for it to drain. False if the client is gone. Not an
 * async function: a write that fits (nearly every chunk) answers `true` at once, without a promise and a
 * microtask per chunk; only a full buffer answers with a promise.
 */
export function writeSse(res: ServerResponse, text: string, abort: AbortSource): boolean | Promise<boolean> {
  if (res.destroyed || abort.aborted) return false;
  if (res.write(text)) return true;
  return once(res, 'drain', { signal: signalOf(abort) }).then(
    () => true,
    () => false,
  );
}
