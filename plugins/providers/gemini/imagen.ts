/**
 * OpenAI image generations (POST /v1/images/generations) translated to Google Imagen's `predict` method,
 * the same on the Gemini API and on Vertex AI:
 *
 *   POST .../models/{model}:predict
 *   { instances: [{ prompt }], parameters: { sampleCount, aspectRatio?, sampleImageSize?, outputOptions?,
 *     includeRaiReason: true } }
 *   -> { predictions: [{ bytesBase64Encoded, mimeType, prompt? } | { raiFilteredReason }] }
 *
 * - `n` -> sampleCount (Imagen makes 1 to 4 images per request; more is refused with a 400 naming `n`).
 * - `size` "WxH" -> the Imagen aspect ratio it matches within 3% (1:1, 3:4, 4:3, 9:16, 16:9; 1792x1024 is
 *   16:9), and `sampleImageSize: "2K"` above 2.2 megapixels (between Imagen's 1K and 2K outputs). Another
 *   ratio is refused with a 400 naming `size`; "auto" or none leaves Imagen's default (1:1, 1K).
 * - `response_format`: Imagen returns image bytes, never a URL, so only `b64_json` (the default here, as for
 *   GPT image models) is served; `url` is refused with a 400 naming it.
 * - `output_format` png | jpeg -> outputOptions.mimeType (webp is refused), `output_compression` ->
 *   outputOptions.compressionQuality.
 * - Fields Imagen has no equivalent for (`quality`, `style`, `user`, `background`, `moderation`, ...) are
 *   not sent and are listed in x-switchyard-dropped-params.
 * - The answer: `{ created, data: [{ b64_json, revised_prompt? }] }` (revised_prompt: Imagen's enhanced
 *   prompt, when it returns one). Images Imagen filtered out are left out (not billed by Google); when none
 *   is left the answer is a 400 `content_policy_violation` with Google's reason.
 */
import { GatewayError, errors } from '../../../core/errors.js';

type Json = Record<string, unknown>;

/** Imagen's aspect ratios, as width / height. */
const RATIOS: Array<[string, number]> = [
  ['1:1', 1],
  ['3:4', 3 / 4],
  ['4:3', 4 / 3],
  ['9:16', 9 / 16],
  ['16:9', 16 / 9],
];
const MAX_SAMPLES = 4;
/** Above this many pixels the request asks for Imagen's 2K output (1K is about 1 MP, 2K about 4 MP). */
const TWO_K_PIXELS = 2_200_000;
const SENT = new Set(['model', 'prompt', 'n', 'size', 'response_format', 'output_format', 'output_compression']);
const MIME: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg' };

/** The Imagen predict body for an OpenAI image generation request, and the fields it could not send. */
export function toImagenRequest(body: Json): { body: Json; dropped: string[] } {
  if (body.response_format === 'url') {
    throw errors.invalidRequest(
      '`response_format: "url"` cannot be served by Imagen, which returns the image bytes only: ask for "b64_json".',
      'response_format',
    );
  }
  const n = body.n == null ? 1 : Number(body.n);
  if (n > MAX_SAMPLES) {
    throw errors.invalidRequest(`Imagen makes at most ${MAX_SAMPLES} images per request (\`n\` is ${n}).`, 'n');
  }
  const parameters: Json = { sampleCount: n, ...sizeParameters(body.size), includeRaiReason: true };
  const format = body.output_format;
  if (format != null) {
    if (typeof format !== 'string' || !MIME[format]) {
      throw errors.invalidRequest('Imagen writes `output_format` "png" or "jpeg" only.', 'output_format');
    }
    const quality = body.output_compression;
    parameters.outputOptions = {
      mimeType: MIME[format],
      ...(typeof quality === 'number' && format === 'jpeg' ? { compressionQuality: quality } : {}),
    };
  }
  const dropped = Object.keys(body).filter((k) => !SENT.has(k) && body[k] != null);
  return { body: { instances: [{ prompt: body.prompt }], parameters }, dropped };
}

function sizeParameters(size: unknown): Json {
  if (size == null || size === 'auto') return {};
  const m = typeof size === 'string' ? /^(\d{2,5})x(\d{2,5})$/.exec(size) : null;
  const w = Number(m?.[1]);
  const h = Number(m?.[2]);
  const ratio = m ? RATIOS.find(([, r]) => Math.abs(w / h / r - 1) <= 0.03) : undefined;
  if (!ratio) {
    throw errors.invalidRequest(
      `Imagen has no size ${JSON.stringify(size)}: give "WxH" in one of its aspect ratios ` +
        `(${RATIOS.map(([r]) => r).join(', ')}), e.g. "1024x1024", "1792x1024", or "auto".`,
      'size',
    );
  }
  return { aspectRatio: ratio[0], ...(w * h > TWO_K_PIXELS ? { sampleImageSize: '2K' } : {}) };
}

interface Prediction {
  bytesBase64Encoded?: unknown;
  mimeType?: unknown;
  prompt?: unknown;
  raiFilteredReason?: unknown;
}

/** The OpenAI images answer for an Imagen predict answer. */
export function fromImagenResponse(provider: string, json: unknown, output?: unknown): Json {
  const predictions = (json as { predictions?: unknown } | null)?.predictions;
  if (predictions !== undefined && !Array.isArray(predictions)) {
    throw errors.upstreamBadResponse(provider, 'the Imagen answer has no list of predictions');
  }
  const list = (predictions ?? []) as Prediction[];
  const images = list.filter((p) => typeof p.bytesBase64Encoded === 'string' && p.bytesBase64Encoded);
  if (!images.length) {
    const reason = list.map((p) => p.raiFilteredReason).find((r) => typeof r === 'string');
    throw new GatewayError(
      400,
      `Imagen generated no image${reason ? `: ${reason}` : ' (its safety filters removed every image)'}.`,
      { code: 'content_policy_violation', param: 'prompt', upstream: { provider } },
    );
  }
  return {
    created: Math.floor(Date.now() / 1000),
    data: images.map((p) => ({
      b64_json: p.bytesBase64Encoded,
      ...(typeof p.prompt === 'string' && p.prompt ? { revised_prompt: p.prompt } : {}),
    })),
    ...(typeof output === 'string' ? { output_format: output } : {}),
  };
}
