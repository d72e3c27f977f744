/**
 * multipart/form-data uploads to a media endpoint (audio transcriptions and translations, image edits and
 * variations), at most `server.uploadLimit` bytes. The caller is authenticated before the body is read.
 * The form is parsed as it arrives (multipart.ts):
 * - when `model` comes before the first file (the OpenAI SDKs append text fields before files they have to
 *   read, such as streams), the request is admitted when the first file starts and the form is streamed to
 *   the one upstream target as it arrives, never held whole (no failover: the upload can be sent once);
 * - when a file comes first, the form is kept in memory (within the limit) until `model` is known, and
 *   failover may send it again.
 * The text fields are checked as they arrive and once more when the form is complete. File bytes are never
 * logged or kept beyond the request (the first bytes of the first file are kept for audio-duration.ts).
 */
import type Koa from 'koa';
import type { MediaContext, MediaOperation } from '../context.js';
import { GatewayError, errors } from '../errors.js';
import type { Gateway } from '../gateway-types.js';
import { admitMedia, attemptMedia } from '../media.js';
import { runAuth } from '../pipeline.js';
import type { MultipartBody, ProviderAdapter, UpstreamCall } from '../provider.js';
import type { MediaUsage } from '../usage.js';
import type { StartMedia } from './media-handlers.js';
import { ByteQueue, FormWriter, MultipartParser, boundaryOf } from './multipart.js';

/** Longest text field (a gpt-image-1 prompt is up to 32,000 characters). */
const MAX_FIELD_BYTES = 128 * 1024;
/** Bytes of the first file kept (to read a WAV header from). */
const HEAD_BYTES = 4096;

type Fields = Record<string, string>;

/** What differs between the upload endpoints. */
export interface UploadSpec<A> {
  operation: MediaOperation;
  /** Form fields that may carry a file; the first one is named when no file came. */
  fileFields: readonly string[];
  /** Most files in one form. */
  maxFiles: number;
  /** The request from the text fields (strings, as on the wire); `complete` once the form ended. Throws a 400. */
  request(fields: Fields, complete: boolean): MediaContext['request'];
  /**
   * The most units the request may use (the budget hold), from the fields (all of them when `complete`, else
   * those before the first file) and the upload's size bound.
   */
  estimate(fields: Fields, maxBytes: number, complete: boolean): MediaUsage;
  /** The adapter's call. `form(model)` gives the body with that `model` field, once per send. */
  send(adapter: ProviderAdapter, form: (model: string) => MultipartBody, call: UpstreamCall): Promise<A>;
}

/** Authenticate, check the content type, read the form and send it. The answer and what was read. */
export async function readUpload<A>(
  gw: Gateway,
  kctx: Koa.Context,
  start: StartMedia,
  spec: UploadSpec<A>,
): Promise<{ answer: A; upload: FormUpload<A> }> {
  // Authenticate before anything else (the pipeline authenticates again once `model` is known): an
  // anonymous client learns nothing about the route and must not make the gateway read megabytes.
  await runAuth(gw, start(spec.operation, { model: '' }));
  const boundary = boundaryOf(kctx.get('content-type'));
  if (!boundary) {
    kctx.req.resume();
    const names = spec.fileFields.map((f) => `\`${f}\``).join(' or ');
    const why = `Request body must be multipart/form-data with a boundary (a ${names} file and text fields).`;
    throw new GatewayError(415, why, { code: 'unsupported_media_type' });
  }
  const upload = new FormUpload(gw, spec, boundary, start, Number(kctx.get('content-length')) || undefined);
  const answer = await upload.run(kctx.req);
  return { answer, upload };
}

interface FilePart {
  name: string;
  filename: string;
  contentType?: string;
}

/** One upload being read: its text fields, the first file's first bytes and the files' size, the upstream call. */
export class FormUpload<A> {
  readonly #fields: Fields = {};
  readonly #parser: MultipartParser;
  readonly #form = new FormWriter();
  ctx?: MediaContext;
  head = Buffer.alloc(0);
  fileBytes = 0;
  files = 0;
  #part?: { name: string; file: boolean; parts: Buffer[]; size: number };
  /** Streaming mode: the queue feeding the upstream body and the call in flight. */
  #queue?: ByteQueue;
  #call?: Promise<A>;
  #failed?: unknown;
  /** Buffered mode: the files with their bytes. */
  #buffered?: Array<FilePart & { chunks: Buffer[] }>;

  constructor(
    private readonly gw: Gateway,
    private readonly spec: UploadSpec<A>,
    boundary: string,
    private readonly start: StartMedia,
    private readonly declared: number | undefined,
  ) {
    this.#parser = new MultipartParser(boundary);
  }

  /** The text fields of the form (complete once run() resolved). */
  get fields(): Readonly<Fields> {
    return this.#fields;
  }

  get #limit(): number {
    return this.gw.config.server.uploadLimit;
  }

  async run(req: Koa.Context['req']): Promise<A> {
    if (this.declared !== undefined && this.declared > this.#limit) {
      req.resume();
      throw errors.bodyTooLarge(this.#limit);
    }
    let received = 0;
    let request: MediaContext['request'];
    try {
      // The request is not destroyed when reading stops early: the error answer still has to go out.
      for await (const chunk of req.iterator({ destroyOnReturn: false })) {
        received += (chunk as Buffer).length;
        if (received > this.#limit) throw errors.bodyTooLarge(this.#limit);
        if (this.#failed) continue; // the upstream call already failed (its error is the answer): drain
        for (const ev of this.#parser.push(chunk as Buffer)) {
          if (ev.type === 'part') await this.#onPart(ev.name, ev.filename, ev.contentType);
          else if (ev.type === 'data') await this.#onData(ev.bytes);
          else await this.#onPartEnd();
        }
      }
      if (this.#call && this.#failed) return await this.#call;
      this.#parser.finish();
      if (!this.files) {
        const name = this.spec.fileFields[0];
        throw errors.invalidRequest(`Missing required parameter: '${name}'.`, name);
      }
      request = this.spec.request({ ...this.#fields }, true);
      if (this.#call) {
        this.#queue!.push(this.#form.end()).catch(() => undefined);
        this.#queue!.end();
        return await this.#call;
      }
    } catch (e) {
      req.resume();
      this.#queue?.abandon();
      if (this.#call) await this.#call.catch(() => undefined); // settle the attempt before answering
      throw e;
    }
    return this.#sendBuffered(request);
  }

  async #onPart(name: string, filename: string | undefined, contentType: string | undefined): Promise<void> {
    const file = filename !== undefined;
    if (file) {
      if (!this.spec.fileFields.includes(name)) {
        const names = this.spec.fileFields.map((f) => `\`${f}\``).join(', ');
        throw errors.invalidRequest(`Files are accepted in ${names} only (got a file in \`${name}\`).`, name);
      }
      if (this.files >= this.spec.maxFiles) {
        const most = this.spec.maxFiles === 1 ? 'Only one file' : `At most ${this.spec.maxFiles} files`;
        throw errors.invalidRequest(`${most} may be uploaded.`, name);
      }
      this.files++;
      const part: FilePart = { name, filename: filename || name, contentType };
      if (this.#queue) await this.#queue.push(this.#form.fileHeader(part.name, part.filename, part.contentType));
      else if (this.#buffered) this.#buffered.push({ ...part, chunks: [] });
      else if (this.#fields.model !== undefined) await this.#startStreaming(part);
      else this.#buffered = [{ ...part, chunks: [] }];
    }
    this.#part = { name, file, parts: [], size: 0 };
  }

  async #onData(bytes: Buffer): Promise<void> {
    const part = this.#part!;
    if (!part.file) {
      part.size += bytes.length;
      if (part.size > MAX_FIELD_BYTES) {
        throw errors.invalidRequest(`The form field \`${part.name}\` is too long.`, part.name);
      }
      part.parts.push(bytes);
      return;
    }
    if (this.files === 1 && this.head.length < HEAD_BYTES) {
      this.head = Buffer.concat([this.head, bytes.subarray(0, HEAD_BYTES - this.head.length)]);
    }
    this.fileBytes += bytes.length;
    const copy = Buffer.from(bytes); // detached from the parser's buffer
    if (this.#queue) await this.#queue.push(copy);
    else this.#buffered!.at(-1)!.chunks.push(copy);
  }

  async #onPartEnd(): Promise<void> {
    const part = this.#part!;
    this.#part = undefined;
    if (part.file) {
      if (this.#queue) await this.#queue.push(this.#form.fileEnd);
      return;
    }
    const value = Buffer.concat(part.parts).toString('utf8');
    if (this.#queue) {
      if (part.name === 'model') throw errors.invalidRequest('`model` may be sent once.', 'model');
      this.#fields[part.name] = value;
      this.spec.request({ ...this.#fields }, false); // a bad field is refused before the upstream answers
      await this.#queue.push(this.#form.field(part.name, value));
    } else this.#fields[part.name] = value;
  }

  /** Most bytes the upload can have: its declared size, else the limit. */
  #maxBytes(): number {
    return this.declared ?? this.#limit;
  }

  /** `model` is known and the first file starts: admit, then send the form upstream as it arrives. */
  async #startStreaming(file: FilePart): Promise<void> {
    const request = this.spec.request({ ...this.#fields }, false);
    const ctx = (this.ctx = this.start(
      this.spec.operation,
      request,
      this.spec.estimate(this.#fields, this.#maxBytes(), false),
    ));
    await admitMedia(this.gw, ctx);
    const queue = (this.#queue = new ByteQueue());
    const form = this.#form;
    await queue.push(form.fileHeader(file.name, file.filename, file.contentType));
    const fields = { ...this.#fields };
    this.#call = attemptMedia(this.gw, ctx, false, (a, _target, call) =>
      this.spec.send(
        a,
        (model) => ({
          contentType: form.contentType,
          body: (async function* () {
            for (const [k, v] of Object.entries({ ...fields, model })) yield form.field(k, v);
            yield* queue;
          })(),
        }),
        call,
      ),
    );
    this.#call.catch((e) => {
      this.#failed = e;
      queue.abandon();
    });
  }

  /** A file came before `model`: the whole form is in hand; send it (again on failover). */
  async #sendBuffered(request: MediaContext['request']): Promise<A> {
    const fields = this.#fields;
    const ctx = (this.ctx = this.start(
      this.spec.operation,
      request,
      this.spec.estimate(fields, this.#maxBytes(), true),
    ));
    await admitMedia(this.gw, ctx);
    const form = this.#form;
    const files = this.#buffered!;
    return attemptMedia(this.gw, ctx, true, (a, _target, call) =>
      this.spec.send(
        a,
        (model) => ({
          contentType: form.contentType,
          body: (async function* () {
            for (const [k, v] of Object.entries({ ...fields, model })) yield form.field(k, v);
            for (const f of files) {
              yield form.fileHeader(f.name, f.filename, f.contentType);
              yield* f.chunks;
              yield form.fileEnd;
            }
            yield form.end();
          })(),
        }),
        call,
      ),
    );
  }
}
