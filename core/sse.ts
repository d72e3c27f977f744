/**
 * Server-sent events: an incremental parser for upstream streams (bytes in, events out) and the
 * encoder for what we send. Handles CRLF, multi-line data, comments and events split across chunks.
 *
 * The parser is linear in the body: each new piece of text is scanned once for the blank line that
 * ends an event, and the pieces of an unfinished event are kept in a list and joined once, when the
 * event ends. An event larger than `maxEventBytes` (its lines, in characters of decoded text,
 * newlines normalised) ends the stream with an SseEventTooLarge error, as soon as that much of it is
 * held, instead of growing a buffer without bound.
 */
import { Readable } from 'node:stream';

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

export interface SseOptions {
  /** Longest event accepted, in characters (default 32 MiB; the gateway passes upstream.maxResponseBytes). */
  maxEventBytes?: number;
  /**
   * Set by the reader once the protocol's last event has arrived (OpenAI's `data: [DONE]`): when it then
   * stops reading, the rest of the body (usually only the end of the chunked encoding) is drained, so the
   * upstream connection goes back to the pool. Otherwise stopping early destroys the body, which cuts
   * the upstream's answer (a client that left, a guardrail that stopped the stream).
   */
  complete?: boolean;
}

export const DEFAULT_MAX_EVENT = 32 * 1024 * 1024;

/** An upstream SSE event passed the size limit (transportError maps it to 502 upstream_response_too_large). */
export class SseEventTooLarge extends Error {
  readonly code = 'SSE_EVENT_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`An upstream stream event is larger than ${limit} characters.`);
    this.name = 'SseEventTooLarge';
  }
}

/** Push text, get the events it completes; `end()` flushes the last event of a body without a blank line. */
export class SseDecoder {
  readonly #max: number;
  #parts: string[] = []; // the current event's text so far, newlines normalised
  #size = 0;
  #endsWithNl = false; // the current event's text ends with '\n' (half of a boundary)
  #heldCR = false; // a trailing \r may be the first half of a \r\n split across pieces

  constructor(maxEventBytes = DEFAULT_MAX_EVENT) {
    this.#max = maxEventBytes;
  }

  push(piece: string): SseEvent[] {
    let text = this.#heldCR ? '\r' + piece : piece;
    this.#heldCR = text.endsWith('\r');
    if (this.#heldCR) text = text.slice(0, -1);
    if (text.indexOf('\r') !== -1) text = text.replace(/\r\n?/g, '\n');
    if (!text) return [];
    const out: SseEvent[] = [];
    let start = 0;
    if (this.#endsWithNl && text.charCodeAt(0) === 10) {
      this.#emit(out, '', -1); // the boundary straddles the pieces: drop the held '\n'
      start = 1;
    }
    for (let end = text.indexOf('\n\n', start); end !== -1; end = text.indexOf('\n\n', start)) {
      this.#emit(out, text.slice(start, end), 0);
      start = end + 2;
    }
    if (start < text.length) {
      const rest = start ? text.slice(start) : text;
      this.#size += rest.length;
      this.#endsWithNl = rest.charCodeAt(rest.length - 1) === 10;
      // A held trailing '\n' may be half of the boundary, not part of the event.
      if (this.#size - (this.#endsWithNl ? 1 : 0) > this.#max) throw new SseEventTooLarge(this.#max);
      this.#parts.push(rest);
    }
    return out;
  }

  /** The last event of a body that did not end with a blank line. */
  end(): SseEvent | undefined {
    const block = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    this.#endsWithNl = false;
    return parseBlock(block);
  }

  /** Close the current event with `tail` (`trim`: characters to drop from the held text first). */
  #emit(out: SseEvent[], tail: string, trim: number): void {
    let block = this.#parts.length ? this.#parts.join('') + tail : tail;
    if (trim) block = block.slice(0, trim);
    if (block.length > this.#max) throw new SseEventTooLarge(this.#max);
    this.#parts = [];
    this.#size = 0;
    this.#endsWithNl = false;
    const ev = parseBlock(block);
    if (ev) out.push(ev);
  }
}

/**
 * Reading an SSE body with the decoding and the clean-up in one place, for a reader that wants to
 * handle events in its own loop (one async step per piece of the body, not one more per event):
 *
 *   const r = new SseReader(body, options);
 *   try {
 *     for await (const piece of r.source) for (const ev of r.events(piece)) ...;
 *     for (const ev of r.rest()) ...;
 *   } finally {
 *     r.release(complete);
 *   }
 *
 * `release` leaves a body read to its end alone; otherwise it drains it (`complete`: the protocol's last
 * event has arrived, the connection can go back to the pool) or destroys it.
 */
export class SseReader {
  /** The body's pieces: a Readable's own iterator, which does not destroy the body on an early stop. */
  readonly source: AsyncIterable<Uint8Array | string>;
  readonly #readable: Readable | undefined;
  readonly #releasable: ReleasableBody | undefined;
  readonly #decoder = new TextDecoder();
  readonly #sse: SseDecoder;
  #ended = false;

  constructor(body: AsyncIterable<Uint8Array | string>, options: SseOptions = {}) {
    this.#sse = new SseDecoder(options.maxEventBytes);
    // A Readable's default iterator would destroy it on an early stop (an AbortError with its stack, and
    // the connection closed even after [DONE]): release() drains or destroys it instead.
    this.#readable = isReadable(body) ? body : undefined;
    this.#releasable = isReleasable(body) ? body : undefined;
    this.source = this.#readable ? this.#readable.iterator({ destroyOnReturn: false }) : body;
  }

  /** The events a piece of the body completes. Throws SseEventTooLarge past the limit. */
  events(piece: Uint8Array | string): SseEvent[] {
    return this.#sse.push(typeof piece === 'string' ? piece : this.#decoder.decode(piece, { stream: true }));
  }

  /** Once the body has ended: the events still held (a last event without its blank line). */
  rest(): SseEvent[] {
    this.#ended = true;
    const tail = this.#decoder.decode();
    const out = tail ? this.#sse.push(tail) : [];
    const last = this.#sse.end();
    if (last) out.push(last);
    return out;
  }

  /** After reading (in a finally): a body not read to its end is drained (`complete`) or destroyed. */
  release(complete: boolean): void {
    if (this.#releasable) {
      this.#releasable.release(complete || this.#ended);
      return;
    }
    const readable = this.#readable;
    if (this.#ended || !readable || readable.readableEnded || readable.destroyed) return;
    // What the body says after this (undici's abort error when destroyed) has no reader left.
    readable.on('error', () => undefined);
    if (complete) readable.resume();
    else readable.destroy();
  }
}

/**
 * A body that is told how its reader stopped (core/upstream-streamed.ts UpstreamBody): the rest drained
 * (`complete`) or the call aborted.
 */
export interface ReleasableBody extends AsyncIterable<Uint8Array | string> {
  release(complete: boolean): void;
}

/** Parse an SSE byte stream into events. Throws SseEventTooLarge for an event past the limit. */
export async function* parseSse(
  body: AsyncIterable<Uint8Array | string>,
  options: SseOptions = {},
): AsyncGenerator<SseEvent> {
  const reader = new SseReader(body, options);
  try {
    for await (const piece of reader.source) for (const ev of reader.events(piece)) yield ev;
  } finally {
    // `complete` is read here, at the end: the caller sets it once the protocol's last event arrived.
    reader.release(options.complete === true);
  }
  for (const ev of reader.rest()) yield ev;
}

const isReleasable = (body: unknown): body is ReleasableBody =>
  typeof (body as ReleasableBody | undefined)?.release === 'function';

const isReadable = (body: unknown): body is Readable =>
  body instanceof Readable || typeof (body as Readable | undefined)?.iterator === 'function';

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
