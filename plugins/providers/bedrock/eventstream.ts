/**
 * Decoder for the binary AWS event-stream framing (application/vnd.amazon.eventstream) used by
 * ConverseStream. Each message, big-endian throughout:
 *   total length u32 | headers length u32 | prelude CRC32 u32 (of the first 8 bytes) |
 *   headers | payload | message CRC32 u32 (of every byte before it)
 * A header is: name length u8 | name | value type u8 | value. Both CRCs are verified; messages may
 * arrive split across (or packed into) arbitrary chunks.
 */

export type HeaderValue = string | number | bigint | boolean | Uint8Array | Date;

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Uint8Array;
}

export class EventStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStreamError';
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, the gzip/zlib one). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Largest message we accept (AWS caps event-stream messages at 16 MB). */
const MAX_MESSAGE = 16 * 1024 * 1024;
const PRELUDE = 12;

function decodeHeaders(buf: Uint8Array, view: DataView, start: number, end: number): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  const text = new TextDecoder('utf-8', { fatal: true });
  let p = start;
  const need = (n: number) => {
    if (p + n > end) throw new EventStreamError('a header runs past the headers section');
  };
  while (p < end) {
    need(1);
    const nameLen = buf[p++];
    need(nameLen + 1);
    const name = text.decode(buf.subarray(p, p + nameLen));
    p += nameLen;
    const type = buf[p++];
    let value: HeaderValue;
    switch (type) {
      case 0:
        value = true;
        break;
      case 1:
        value = false;
        break;
      case 2:
        need(1);
        value = view.getInt8(p);
        p += 1;
        break;
      case 3:
        need(2);
        value = view.getInt16(p);
        p += 2;
        break;
      case 4:
        need(4);
        value = view.getInt32(p);
        p += 4;
        break;
      case 5:
        need(8);
        value = view.getBigInt64(p);
        p += 8;
        break;
      case 6:
      case 7: {
        need(2);
        const len = view.getUint16(p);
        p += 2;
        need(len);
        const bytes = buf.slice(p, p + len);
        p += len;
        value = type === 7 ? text.decode(bytes) : bytes;
        break;
      }
      case 8:
        need(8);
        value = new Date(Number(view.getBigInt64(p)));
        p += 8;
        break;
      case 9:
        need(16);
        value = buf.slice(p, p + 16);
        p += 16;
        break;
      default:
        throw new EventStreamError(`unknown header value type ${type}`);
    }
    out[name] = value;
  }
  return out;
}

/** Incremental decoder: push bytes, get the complete messages they finish. */
export class EventStreamDecoder {
  #buf: Uint8Array = new Uint8Array(0);

  /** Bytes held that do not yet form a complete message. */
  get pending(): number {
    return this.#buf.length;
  }

  push(input: Uint8Array): EventStreamMessage[] {
    // A plain Uint8Array view, so that slice() copies (Buffer#slice would alias).
    const chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (chunk.length) {
      if (this.#buf.length === 0) this.#buf = chunk;
      else {
        const next = new Uint8Array(this.#buf.length + chunk.length);
        next.set(this.#buf, 0);
        next.set(chunk, this.#buf.length);
        this.#buf = next;
      }
    }
    const out: EventStreamMessage[] = [];
    let off = 0;
    while (this.#buf.length - off >= PRELUDE) {
      const view = new DataView(this.#buf.buffer, this.#buf.byteOffset + off, this.#buf.length - off);
      const total = view.getUint32(0);
      const headersLen = view.getUint32(4);
      const preludeCrc = view.getUint32(8);
      if (crc32(this.#buf, off, off + 8) !== preludeCrc) throw new EventStreamError('prelude CRC mismatch');
      if (total < PRELUDE + 4 || total > MAX_MESSAGE || headersLen > total - PRELUDE - 4) {
        throw new EventStreamError(`implausible message lengths (total ${total}, headers ${headersLen})`);
      }
      if (this.#buf.length - off < total) break;
      const msg = this.#buf.subarray(off, off + total);
      const msgView = new DataView(msg.buffer, msg.byteOffset, msg.length);
      if (crc32(msg, 0, total - 4) !== msgView.getUint32(total - 4)) throw new EventStreamError('message CRC mismatch');
      const headers = decodeHeaders(msg, msgView, PRELUDE, PRELUDE + headersLen);
      out.push({ headers, payload: msg.slice(PRELUDE + headersLen, total - 4) });
      off += total;
    }
    if (off) this.#buf = this.#buf.slice(off);
    return out;
  }
}

/** Decode a byte stream into messages. Throws EventStreamError for corrupt framing; leftover bytes at
 *  the end (a message cut off) are reported through `onTrailing`. */
export async function* decodeEventStream(
  body: AsyncIterable<Uint8Array | string>,
  onTrailing?: (bytes: number) => void,
): AsyncGenerator<EventStreamMessage> {
  const decoder = new EventStreamDecoder();
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    for (const m of decoder.push(bytes)) yield m;
  }
  if (decoder.pending && onTrailing) onTrailing(decoder.pending);
}
