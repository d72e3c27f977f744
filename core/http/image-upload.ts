/**
 * POST /v1/images/edits and /v1/images/variations: OpenAI's multipart/form-data uploads (form-upload.ts),
 * at most `server.uploadLimit` bytes. Edits take `image` (one file), or `image[]` (several, GPT image
 * models; at most 16), an optional `mask` and a `prompt`; variations one `image`. `model` defaults to
 * dall-e-2, as at OpenAI. The budget hold is `n` images (10 when `n` comes after the first file of a form
 * streamed through) at the requested size and quality; the record is priced per image from the catalog.
 */
import type Koa from 'koa';
import type { MediaContext } from '../context.js';
import type { Gateway } from '../gateway-types.js';
import type { MediaUsage } from '../usage.js';
import { compile } from '../validation.js';
import { readUpload, type UploadSpec } from './form-upload.js';
import { answeredImages, imageShape, imageTokens } from './image-units.js';
import { mediaHandler } from './media-handlers.js';
import { imageFormFieldsSchema } from './media-schema.js';
import { check } from './openai-dialect.js';
import { responseHeaders, writeJson } from './respond.js';

type Request = MediaContext['request'];
type Json = Record<string, unknown>;

/** Images of one edit: OpenAI's limit for GPT image models. */
const MAX_EDIT_IMAGES = 16;
/** Most images one request may ask for (`n`). */
const MAX_N = 10;

const validatePartial = compile<Request>(imageFormFieldsSchema);
const validateEdit = compile<Request>({ ...imageFormFieldsSchema, required: ['prompt'] });

function imageSpec(kind: 'edits' | 'variations'): UploadSpec<Json> {
  const edits = kind === 'edits';
  return {
    operation: edits ? 'image_edits' : 'image_variations',
    fileFields: edits ? ['image', 'image[]', 'mask'] : ['image'],
    maxFiles: edits ? MAX_EDIT_IMAGES + 1 : 1,
    request(fields, complete) {
      const withModel = fields.model === undefined && complete ? { ...fields, model: 'dall-e-2' } : fields;
      return check(complete && edits ? validateEdit : validatePartial, withModel);
    },
    estimate(fields, _maxBytes, complete): MediaUsage {
      // Fields that come after the first file of a streamed form are not known yet: hold the most.
      const n = fields.n !== undefined ? Number(fields.n) : complete ? 1 : MAX_N;
      const { imageSize = complete ? undefined : 'auto', imageQuality = complete ? undefined : 'auto' } =
        imageShape(fields);
      return { images: n, ...(imageSize ? { imageSize } : {}), ...(imageQuality ? { imageQuality } : {}) };
    },
    send: (a, form, call) => a.imageUpload!(kind, form, call),
  };
}

export function imageUploadHandler(gw: Gateway, kind: 'edits' | 'variations'): Koa.Middleware {
  const spec = imageSpec(kind);
  return mediaHandler(gw, async (kctx, _base, start) => {
    const { answer, upload } = await readUpload(gw, kctx, start, spec);
    const ctx = upload.ctx!;
    const tokens = imageTokens(answer);
    if (tokens) ctx.usage = tokens.usage;
    ctx.media = {
      images: answeredImages(ctx.target!.provider, answer),
      ...imageShape(upload.fields, answer),
      ...(tokens?.imageInputTokens ? { imageInputTokens: tokens.imageInputTokens } : {}),
    };
    writeJson(kctx, 200, responseHeaders(ctx), JSON.stringify(answer));
    return { status: 200 };
  });
}
