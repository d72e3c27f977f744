/**
 * multipart/form-data without buffering: a push parser (bytes in, part events out, file data passed on
 * as it arrives), a writer for the body sent upstream, and a bounded byte queue between the client's
 * upload and the upstream request (backpressure both ways).
 */
import { randomBytes } from 'node:crypto';
import { errors } from '../errors.js';

export type FormEvent =
  | { type: 'part'; name: string; filename?: string; contentType?: string }
  | { type: 'data'; bytes: Buffer }
  | { type: 'partEnd' };

const MAX_PART_HEADERS = 16 * 1024;
const malformed = (why: string) => errors.invalidRequest(`The multipart/form-data body is malformed: ${why}.`);

/** The boundary of a multipart/form-data content type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export class MultipartParser {
  readonly #delim: Buffer;
  // A CRLF in front, so that the first delimiter ("--boundary") matches "\r\n--boundary" like the others.
  #buf: Buffer = Buffer.from('\r\n');
  #state: 'preamble' | 'after' | 'headers' | 'body' | 'done' = 'preamble';

  constructor(boundary: string) {
    this.#delim = Buffer.from(`\r\n--${boundary}`);
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  push(chunk: Buffer): FormEvent[] {
    if (this.#state === 'done') return []; // the epilogue is ignored
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: FormEvent[] = [];
    while (this.#step(out)) {
      /* until it needs more bytes, or the closing boundary */
    }
    return out;
  }

  /** The body ended: it must have ended with the closing delimiter. */
  finish(): void {
    if (this.#state !== 'done') throw malformed('it ended before its closing boundary');
  }

  #step(out: FormEvent[]): boolean {
    const d = this.#delim;
    switch (this.#state) {
      case 'preamble': {
        const at = this.#buf.indexOf(d);
        if (at < 0) {
          this.#buf = this.#buf.subarray(Math.max(0, this.#buf.length - d.length + 1));
          return false;
        }
        this.#buf = this.#buf.subarray(at + d.length);
        this.#state = 'after';
        return true;
      }
      case 'after': {
        if (this.#buf.length < 2) return false;
        const two = this.#buf.subarray(0, 2).toString('latin1');
        if (two === '--') {
          this.#state = 'done';
          return false;
        }
        if (two !== '\r\n') throw malformed('a boundary is not followed by a line break');
        this.#buf = this.#buf.subarray(2);
        this.#state = 'headers';
        return true;
      }
      case 'headers': {
        const end = this.#buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.#buf.length > MAX_PART_HEADERS) throw malformed('the headers of a part are too long');
          return false;
        }
        out.push(partHeaders(this.#buf.subarray(0, end).toString('utf8')));
        this.#buf = this.#buf.subarray(end + 4);
        this.#state = 'body';
        return true;
      }
      case 'body': {
        const at = this.#buf.indexOf(d);
        if (at < 0) {
          const keep = d.length - 1;
          if (this.#buf.length > keep) {
            out.push({ type: 'data', bytes: this.#buf.subarray(0, this.#buf.length - keep) });
            this.#buf = this.#buf.subarray(this.#buf.length - keep);
          }
          return false;
        }
        if (at > 0) out.push({ type: 'data', bytes: this.#buf.subarray(0, at) });
        out.push({ type: 'partEnd' });
        this.#buf = this.#buf.subarray(at + d.length);
        this.#state = 'after';
        return true;
      }
      default:
        return false;
    }
  }
}

function partHeaders(text: string): FormEvent {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') {
      name = /(?:^|;)\s*name="([^"]*)"/i.exec(value)?.[1] ?? /(?:^|;)\s*name=([^;\s]+)/i.exec(value)?.[1];
      filename = /;\s*filename="([^"]*)"/i.exec(value)?.[1] ?? /;\s*filename=([^;\s]+)/i.exec(value)?.[1];
    } else if (key === 'content-type') contentType = value;
  }
  if (name === undefined) throw malformed('a part has no Content-Disposition name');
  return { type: 'part', name, filename, contentType };
}

/** Encodes the multipart body sent upstream. Names and file names lose quotes and line breaks. */
export class FormWriter {
  readonly boundary = `----switchyard${randomBytes(12).toString('hex')}`;

  get contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }

  field(name: string, value: string): Buffer {
    return Buffer.from(
      `--${this.boundary}\r\nContent-Disposition: form-data; name="${clean(name)}"\r\n\r\n` + `${value}\r\n`,
    );
  }

  fileHeader(name: string, filename: string, contentType = 'application/octet-stream'): Buffer {
    return Buffer.from(
      `--${this.boundary}\r\nContent-Disposition: form-data; name="${clean(name)}"; ` +
        `filename="${clean(filename)}"\r\nContent-Type: ${clean(contentType)}\r\n\r\n`,
    );
  }

  readonly fileEnd = Buffer.from('\r\n');

  end(): Buffer {
    return Buffer.from(`--${this.boundary}--\r\n`);
  }
}

const clean = (s: string) => s.replace(/["\r\n]/g, '');

/**
 * Bytes handed from the client's upload to the upstream request: push() waits while more than
 * `highWater` bytes are queued; once abandoned (the upstream attempt ended), pushes are dropped.
 */
export class ByteQueue implements AsyncIterable<Uint8Array> {
  readonly #items: Buffer[] = [];
  #size = 0;
  #ended = false;
  #abandoned = false;
  #wakeReader?: () => void;
  #wakeWriter?: () => void;

  constructor(readonly highWater = 256 * 1024) {}

  async push(bytes: Buffer): Promise<void> {
    if (this.#abandoned || this.#ended) return;
    this.#items.push(bytes);
    this.#size += bytes.length;
    this.#wake('reader');
    while (this.#size > this.highWater && !this.#abandoned)
      await new Promise<void>((r) => {
        this.#wakeWriter = r;
      });
  }

  end(): void {
    this.#ended = true;
    this.#wake('reader');
  }

  abandon(): void {
    this.#abandoned = true;
    this.#items.length = 0;
    this.#size = 0;
    this.#wake('writer');
    this.#wake('reader');
  }

  #wake(who: 'reader' | 'writer'): void {
    const f = who === 'reader' ? this.#wakeReader : this.#wakeWriter;
    if (who === 'reader') this.#wakeReader = undefined;
    else this.#wakeWriter = undefined;
    f?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = this.#items.shift();
      if (next) {
        this.#size -= next.length;
        if (this.#size <= this.highWater) this.#wake('writer');
        yield next;
        continue;
      }
      if (this.#ended || this.#abandoned) return;
      await new Promise<void>((r) => {
        this.#wakeReader = r;
      });
    }
  }
}
