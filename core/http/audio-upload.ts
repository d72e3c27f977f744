/**
 * POST /v1/audio/transcriptions and /v1/audio/translations: multipart/form-data uploads of up to
 * `server.uploadLimit` bytes with one `file`, streamed to the upstream when `model` comes first, else held
 * until it is known (form-upload.ts). Metered in seconds of audio (audio-duration.ts), priced per minute
 * from the catalog.
 */
import type Koa from 'koa';
import type { MediaContext } from '../context.js';
import type { Gateway } from '../gateway-types.js';
import type { TextAnswer } from '../provider.js';
import { compile } from '../validation.js';
import { ESTIMATE_BYTES_PER_SECOND, HOLD_BYTES_PER_SECOND, reportedSeconds, wavSeconds } from './audio-duration.js';
import { readUpload, type UploadSpec } from './form-upload.js';
import { mediaHandler } from './media-handlers.js';
import { audioFieldsSchema } from './media-schema.js';
import { check } from './openai-dialect.js';
import { responseHeaders, safeHeaders } from './respond.js';

const validateFields = compile<MediaContext['request']>(audioFieldsSchema);

/** The audio endpoints' form: one `file`, text fields checked by audioFieldsSchema, seconds held from the size. */
function audioSpec(kind: 'transcriptions' | 'translations'): UploadSpec<TextAnswer> {
  return {
    operation: kind,
    fileFields: ['file'],
    maxFiles: 1,
    request: (fields) => check(validateFields, fields),
    // Most seconds the upload can hold: its size at a low speech bit rate.
    estimate: (_fields, maxBytes) => ({ audioSeconds: Math.ceil(maxBytes / HOLD_BYTES_PER_SECOND) }),
    send: (a, form, call) => a.audio!(kind, form, call),
  };
}

export function audioHandler(gw: Gateway, kind: 'transcriptions' | 'translations'): Koa.Middleware {
  const spec = audioSpec(kind);
  return mediaHandler(gw, async (kctx, _base, start) => {
    const { answer, upload } = await readUpload(gw, kctx, start, spec);
    const ctx = upload.ctx!;
    let parsed: unknown;
    try {
      parsed = answer.contentType.includes('json') ? JSON.parse(answer.text) : undefined;
    } catch {
      parsed = undefined;
    }
    type Usage = { type?: string; input_tokens?: number; output_tokens?: number };
    const usage = (parsed as { usage?: Usage } | undefined)?.usage;
    if (usage?.type === 'tokens') {
      const p = Number(usage.input_tokens ?? 0);
      const c = Number(usage.output_tokens ?? 0);
      ctx.usage = { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
    }
    const seconds = reportedSeconds(parsed) ?? wavSeconds(upload.head);
    if (seconds === undefined) ctx.usageEstimated = true;
    ctx.media = { audioSeconds: Math.round((seconds ?? upload.fileBytes / ESTIMATE_BYTES_PER_SECOND) * 1000) / 1000 };
    const res = kctx.res;
    const headers = safeHeaders(responseHeaders(ctx), {
      'content-type': answer.contentType,
      'content-length': String(Buffer.byteLength(answer.text)),
    });
    res.writeHead(200, headers);
    kctx.respond = false;
    res.end(answer.text);
    return { status: 200 };
  });
}
