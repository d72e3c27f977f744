/**
 * Server-sent events: an incremental parser for upstream streams (bytes in, events out) and the
 * encoder for what we send. Handles CRLF, multi-line data, comments and events split across chunks.
 */

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

/** Parse an SSE byte stream into events. */
export async function* parseSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  let heldCR = false; // a trailing \r may be the first half of a \r\n split across chunks
  for await (const piece of body) {
    let text: string = (heldCR ? '\r' : '') + (typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true }));
    heldCR = text.endsWith('\r');
    if (heldCR) text = text.slice(0, -1);
    buf += text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
    let start = 0;
    for (let end = buf.indexOf('\n\n'); end !== -1; end = buf.indexOf('\n\n', start)) {
      const ev = parseBlock(buf.slice(start, end));
      start = end + 2;
      if (ev) yield ev;
    }
    if (start) buf = buf.slice(start);
  }
  buf += decoder.decode();
  const last = parseBlock(buf);
  if (last) yield last;
}

function parseBlock(block: string): SseEvent | undefined {
  if (!block) return undefined;
  let event: string | undefined;
  let id: string | undefined;
  let data: string[] | undefined;
  for (const line of block.split('\n')) {
    if (!line || line.charCodeAt(0) === 58 /* ':' comment */) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') (data ??= []).push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
  }
  if (data === undefined && event === undefined) return undefined;
  return { event, id, data: data ? data.join('\n') : '' };
}

/** Encode one SSE data event. */
export function sseData(json: string, event?: string): string {
  return event ? `event: ${event}\ndata: ${json}\n\n` : `data: ${json}\n\n`;
}
