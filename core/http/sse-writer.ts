/**
 * Writes a stream of encoded events to the client: headers flushed at once, backpressure respected,
 * stops as soon as the client goes away (which aborts the upstream through the request signal).
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';

export function startSse(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
}

/** Write and wait for the socket to drain when its buffer is full. False if the client is gone. */
export async function writeSse(res: ServerResponse, text: string, signal: AbortSignal): Promise<boolean> {
  if (res.destroyed || signal.aborted) return false;
  if (res.write(text)) return true;
  try {
    await once(res, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
